import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { uuidv7 } from 'uuidv7';

/** A generated HTTP request, kept as plain data so a failing case prints readably. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
}

export const CAPTURE_PATHS = ['/e', '/e/', '/i/v0/e/', '/i/v0/e', '/batch/', '/batch', '/capture/', '/track/'];

const BOMB = gzipSync(Buffer.alloc(21 * 1024 * 1024, 0x20), { level: 9 });
const OVERSIZED = `{"event":"x","properties":{"pad":"${'a'.repeat(1024 * 1024)}"}}`;

/** A capture event that passes validation, so a single corruption decides the outcome. */
export function validEvent(token: string, overrides: Record<string, unknown> = {}) {
  return { uuid: uuidv7(), event: '$pageview', timestamp: new Date().toISOString(), properties: { token, distinct_id: 'fuzz-user' }, ...overrides };
}

const notJson = fc.string({ maxLength: 200 }).filter((s) => {
  try {
    JSON.parse(s);
    return false;
  } catch {
    return true;
  }
});
const unparseableTime = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/^\d+$/.test(s) && Number.isNaN(Date.parse(s)));
const notObject = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }));

/** One event field replaced by a value of the wrong type or out of range: always a 4xx. */
const corruption: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc.tuple(
    fc.constant('event'),
    fc.oneof(
      fc.integer(),
      fc.constant(null),
      fc.boolean(),
      fc.constant(''),
      fc.string({ minLength: 201, maxLength: 260 }),
      fc.array(fc.string(), { maxLength: 2 }),
    ),
  ),
  fc.tuple(fc.constant('uuid'), fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.constant(null))),
  fc.tuple(
    fc.constant('distinct_id'),
    fc.oneof(fc.constant(null), fc.boolean(), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }), fc.array(fc.integer(), { maxLength: 2 })),
  ),
  fc.tuple(fc.constant('properties'), notObject),
  fc.tuple(
    fc.constant('timestamp'),
    fc.oneof(unparseableTime, fc.boolean(), fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }), fc.string({ minLength: 65, maxLength: 80 })),
  ),
  fc.tuple(fc.constant('sent_at'), fc.oneof(unparseableTime, fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }))),
  fc.tuple(fc.constant('offset'), fc.oneof(fc.string(), fc.boolean(), fc.constant(null))),
  fc.tuple(fc.constant('$set'), notObject),
  fc.tuple(fc.constant('$set_once'), notObject),
  fc.tuple(fc.constant('api_key'), fc.oneof(fc.integer(), fc.constant(null), fc.boolean())),
  fc.tuple(fc.constant('token'), fc.string({ maxLength: 20 })),
);

const FEEDBACK_REASONS = ['code_didnt_work', 'missing_information', 'hard_to_follow', 'outdated', 'other'];

/** One read field pushed past its bound, or an event past 64 KiB: always a 400 naming the field. */
const overLimit: fc.Arbitrary<{ event?: string; properties: Record<string, unknown>; $set?: Record<string, unknown>; $set_once?: Record<string, unknown> }> =
  fc.oneof(
    fc.integer({ min: 1001, max: 1200 }).map((n) => ({ event: 'doc_feedback', properties: { vote: 'no', comment: 'c'.repeat(n) } })),
    fc
      .string({ maxLength: 30 })
      .filter((r) => !FEEDBACK_REASONS.includes(r))
      .map((reason) => ({ event: 'doc_feedback', properties: { vote: 'no', reason } })),
    fc
      .tuple(fc.constantFrom('$pathname', 'path', 'endpoint'), fc.integer({ min: 2049, max: 2300 }))
      .map(([name, n]) => ({ properties: { [name]: `/${'p'.repeat(n - 1)}` } })),
    fc.integer({ min: 101, max: 300 }).map((n) => ({ properties: { error_code: 'e'.repeat(n) } })),
    fc.tuple(fc.constantFrom('properties', '$set', '$set_once'), fc.integer({ min: 64 * 1024 + 1, max: 80 * 1024 })).map(([where, n]) => {
      const pad = { pad: 'x'.repeat(n) };
      return where === 'properties' ? { properties: pad } : { properties: {}, [where]: pad };
    }),
  );

function envelope(token: string, events: unknown[], shape: 'single' | 'batch' | 'array') {
  if (shape === 'single') return events[0];
  if (shape === 'batch') return { api_key: token, batch: events };
  return events;
}

const json = (body: unknown) => JSON.stringify(body);
const jsonHeaders = { 'content-type': 'application/json' };

/**
 * Capture requests that are malformed by construction: every one of them must get a 4xx with the error body.
 * Covers bad JSON, wrong types, wrong tokens, invalid UTF-8, bad gzip/base64, zip bombs, oversize, methods and
 * odd headers, over all capture paths and the three body shapes.
 */
export function malformedCapture(token: string): fc.Arbitrary<FuzzRequest> {
  const path = fc.constantFrom(...CAPTURE_PATHS);
  const shape = fc.constantFrom('single' as const, 'batch' as const, 'array' as const);
  const post = (p: string, body: Uint8Array | string, headers: Record<string, string> = jsonHeaders): FuzzRequest => ({
    method: 'POST',
    path: p,
    headers,
    body,
  });
  return fc.oneof(
    { weight: 9, arbitrary: fc.tuple(path, notJson).map(([p, s]) => post(p, s)) },
    {
      weight: 18,
      arbitrary: fc.tuple(path, shape, corruption, fc.nat({ max: 4 })).map(([p, sh, [key, value], extra]) => {
        const events = Array.from({ length: sh === 'single' ? 1 : extra + 1 }, () => validEvent(token));
        const bad = events[extra % events.length]!;
        if (key === 'token') (bad.properties as Record<string, unknown>).token = `${value}-wrong`;
        else (bad as Record<string, unknown>)[key] = value;
        return post(p, json(envelope(token, events, sh)));
      }),
    },
    {
      weight: 6,
      arbitrary: fc.tuple(path, shape, overLimit, fc.nat({ max: 4 })).map(([p, sh, over, extra]) => {
        const events = Array.from({ length: sh === 'single' ? 1 : extra + 1 }, () => validEvent(token));
        const bad = events[extra % events.length]! as Record<string, unknown>;
        Object.assign(bad, { ...over, properties: { ...(bad.properties as object), ...over.properties } });
        return post(p, json(envelope(token, events, sh)));
      }),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(path, shape, fc.string({ maxLength: 30 })).map(([p, sh, t]) => post(p, json(envelope(`x${t}`, [validEvent(`x${t}`)], sh)))),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(path, fc.constantFrom('{}', '[]', '{"batch":[]}', '{"batch":{}}', '"text"', '42', 'null', 'true', '  ')).map(([p, b]) => post(p, b)),
    },
    {
      weight: 6,
      arbitrary: fc.tuple(path, fc.uint8Array({ minLength: 1, maxLength: 60 }), fc.nat({ max: 40 })).map(([p, bytes, at]) => {
        const body = Buffer.from(json(validEvent(token)));
        const invalid = Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80, ...bytes.filter((b) => b >= 0x80)]);
        return post(p, Buffer.concat([body.subarray(0, 10 + at), invalid, body.subarray(10 + at)]));
      }),
    },
    {
      weight: 6,
      arbitrary: fc.tuple(path, fc.uint8Array({ maxLength: 80 }), fc.constantFrom('header', 'query', 'magic')).map(([p, bytes, via]) => {
        const body = Buffer.from([0x1f, 0x8b, ...bytes]);
        if (via === 'header') return post(p, body, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        if (via === 'query') return post(`${p}?compression=gzip-js`, body, { 'content-type': 'text/plain' });
        return post(p, body, { 'content-type': 'text/plain' });
      }),
    },
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          path,
          fc.oneof(
            fc.string({ maxLength: 60 }).map((s) => `${s}!*$`),
            fc.base64String({ maxLength: 60 }).filter((s) => {
              try {
                JSON.parse(Buffer.from(s, 'base64').toString());
                return false;
              } catch {
                return true;
              }
            }),
          ),
        )
        .map(([p, data]) => post(`${p}?compression=base64`, `data=${encodeURIComponent(data)}`, { 'content-type': 'application/x-www-form-urlencoded' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(path, fc.constantFrom('header', 'form'))
        .map(([p, via]) =>
          via === 'header'
            ? post(p, BOMB, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
            : post(`${p}?compression=gzip-js`, BOMB, { 'content-type': 'text/plain' }),
        ),
    },
    { weight: 2, arbitrary: path.map((p) => post(p, OVERSIZED)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(path, fc.constantFrom(1001, 1500))
        .map(([p, n]) => post(p, json({ api_key: token, batch: Array.from({ length: n }, () => validEvent(token)) }))),
    },
    {
      weight: 6,
      arbitrary: fc
        .tuple(path, fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH'))
        .map(([p, method]) => ({ method, path: p, headers: jsonHeaders, body: method === 'GET' ? undefined : json(validEvent(token)) })),
    },
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          path,
          fc.oneof(
            fc.constantFrom('application/xml', 'image/png', 'multipart/form-data; boundary=x', 'text/html', 'application/zip'),
            fc
              .stringMatching(/^[a-z]{1,10}\/[a-z0-9.+-]{1,15}$/)
              .filter((t) => !['application/json', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded'].includes(t)),
          ),
        )
        .map(([p, type]) => post(p, json(validEvent(token)), { 'content-type': type })),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(path, fc.constantFrom('br', 'deflate', 'compress', 'zstd', 'gzip, br', 'x-unknown'))
        .map(([p, enc]) => post(p, json(validEvent(token)), { 'content-type': 'application/json', 'content-encoding': enc })),
    },
  );
}

/** Any JSON value as a capture body, plus deep and wide structures: the server may accept, but never 5xx. */
export function arbitraryCapture(token: string): fc.Arbitrary<FuzzRequest> {
  const deep = fc
    .integer({ min: 50, max: 5_000 })
    .map((depth) => `{"event":"deep","properties":{"token":"${token}","distinct_id":"d","x":${'['.repeat(depth)}${']'.repeat(depth)}}}`);
  const wide = fc
    .integer({ min: 100, max: 5_000 })
    .map((n) => json(validEvent(token, { properties: { token, distinct_id: 'w', ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])) } })));
  const prototypeKeys = fc
    .constantFrom('__proto__', 'constructor', 'prototype')
    .map((k) => `{"event":"p","properties":{"token":"${token}","distinct_id":"p","${k}":{"polluted":1}},"$set":{"${k}":{"polluted":1}}}`);
  return fc.record({
    method: fc.constant('POST'),
    path: fc.constantFrom(...CAPTURE_PATHS),
    headers: fc.constant(jsonHeaders),
    body: fc.oneof(
      fc.jsonValue().map((v) => json(v)),
      fc.jsonValue().map((v) => json(validEvent(token, { properties: { token, distinct_id: 'j', v } }))),
      deep,
      wide,
      prototypeKeys,
    ),
  });
}

const oddHeaderValue = fc.oneof(
  fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
  fc.constantFrom('', ' ', 'Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', `Bearer ${'x'.repeat(4000)}`, "Bearer ' OR 1=1 --"),
);
const oddHeaders = fc.dictionary(
  fc.constantFrom('authorization', 'cookie', 'origin', 'content-type', 'content-encoding', 'x-forwarded-for', 'accept', 'referer', 'x-csrf-token', 'host'),
  oddHeaderValue,
  { maxKeys: 4 },
);
const queryString = fc
  .array(
    fc.tuple(
      fc.constantFrom('limit', 'cursor', 'event', 'distinct_id', 'before', 'from', 'to', 'range', 'window', 'steps', 'path', 'q', 'x', '__proto__'),
      fc.string({ maxLength: 30 }),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}` : ''));
const anyBody = fc.oneof(
  fc.constant(undefined),
  notJson,
  fc.jsonValue().map((v) => json(v)),
  fc.uint8Array({ maxLength: 64 }),
);

/**
 * Requests to the other public routes (portal auth, keys, sandbox, reports, events, admin session, unknown paths)
 * with random methods, queries, odd headers and bodies. Any status is allowed except 5xx; errors carry the body.
 */
export function arbitraryRouteRequest(paths: string[]): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
      path: fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...paths) },
        { weight: 1, arbitrary: fc.webPath() },
        { weight: 1, arbitrary: fc.constantFrom('/%zz', '/%', '/api/v1/%E0%A4%A', '/sandbox/v1/messages/%00', '//', '/api/v1/events/../portal/me') },
      ),
      query: queryString,
      headers: oddHeaders,
      body: anyBody,
    })
    .map(({ method, path, query, headers, body }) => ({
      method,
      path: `${path}${query}`,
      headers,
      body: method === 'GET' || method === 'HEAD' ? undefined : body,
    }));
}
