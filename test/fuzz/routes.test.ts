import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, listEvents, PROJECT_TOKEN, testApp } from '../support/app.ts';
import { arbitraryCapture, arbitraryRouteRequest, type FuzzRequest, malformedCapture, validEvent } from './arbitraries.ts';

/** `FUZZ_SCALE=10 npm run test:slow` multiplies every run count; `FUZZ_SEED` replays a reported failure. */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261123;
const runs = (n: number) => Math.round(n * SCALE);

const ROUTES = [
  '/api/v1/portal/signup',
  '/api/v1/portal/login',
  '/api/v1/portal/logout',
  '/api/v1/portal/me',
  '/api/v1/portal/keys',
  '/api/v1/portal/keys/key_123',
  '/api/v1/portal/calls',
  '/api/v1/portal/support',
  '/sandbox/v1/messages',
  '/sandbox/v1/messages/msg_123',
  '/sandbox/v1/nope',
  '/api/v1/events',
  '/api/v1/admin/session',
  '/api/v1/reports/funnel',
  '/api/v1/reports/ttfsi',
  '/api/v1/reports/docs',
  '/api/v1/reports/api-health',
  '/api/v1/openapi.json',
  '/flags',
  '/array/phc_x/config',
  '/array/phc_x/config.js',
  '/',
  '/docs/',
  '/reports/',
  '/api/v1/alerts',
  '/api/v1/alerts/rule_1',
  '/api/v1/alerts/rule_1/deliveries',
];

let total = 0;
const { app } = testApp();
const connection = { incoming: { socket: { remoteAddress: '192.0.2.44' } } };

async function send(req: FuzzRequest) {
  total += 1;
  const res = await app.request(req.path, { method: req.method, headers: req.headers, body: req.body as BodyInit | undefined }, connection);
  const text = req.method === 'HEAD' ? '' : await res.text();
  return { status: res.status, text };
}

/** The error contract: `{ error: { code, message } }` with non-empty strings (sandbox adds `type`, `doc_url`). */
function expectErrorBody(req: FuzzRequest, status: number, text: string) {
  if (req.method === 'HEAD') return;
  let body: { error?: { code?: unknown; message?: unknown } };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${req.method} ${req.path} → ${status} with a non-JSON body: ${text.slice(0, 200)}`);
  }
  expect(typeof body.error?.code, `${req.method} ${req.path} → ${status} ${text.slice(0, 200)}`).toBe('string');
  expect(typeof body.error?.message).toBe('string');
  expect((body.error!.message as string).length).toBeGreaterThan(0);
}

function never5xx(req: FuzzRequest, status: number, text: string) {
  expect(status, `${req.method} ${req.path} → ${status}: ${text.slice(0, 300)}`).toBeLessThan(500);
  if (status >= 400) expectErrorBody(req, status, text);
}

const params = (numRuns: number) => ({ numRuns, seed: SEED, endOnFailure: true });

describe('fuzz: hostile requests get a 4xx with the error body, never a 5xx', () => {
  it(`malformed capture requests in every encoding → 4xx (${runs(5600)} runs)`, { timeout: 120_000 * SCALE }, async () => {
    await fc.assert(
      fc.asyncProperty(malformedCapture(PROJECT_TOKEN), async (req) => {
        const { status, text } = await send(req);
        expect(
          status,
          `${req.method} ${req.path} ${JSON.stringify(req.headers)} ${String(req.body).slice(0, 200)} → ${text.slice(0, 300)}`,
        ).toBeGreaterThanOrEqual(400);
        expect(status).toBeLessThan(500);
        expectErrorBody(req, status, text);
      }),
      params(runs(5600)),
    );
  });

  it(`arbitrary JSON, deep and wide bodies, prototype keys on capture → never 5xx (${runs(500)} runs)`, { timeout: 120_000 * SCALE }, async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryCapture(PROJECT_TOKEN), async (req) => {
        const { status, text } = await send(req);
        never5xx(req, status, text);
      }),
      params(runs(500)),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it(`portal signup/login with malformed JSON or wrong types → 4xx (${runs(1000)} runs)`, { timeout: 120_000 * SCALE }, async () => {
    const wrong = fc.oneof(
      fc.string({ maxLength: 80 }).filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      }),
      fc
        .record({
          email: fc.oneof(
            fc.integer(),
            fc.constant(null),
            fc.string({ maxLength: 20 }).filter((s) => !s.includes('@')),
          ),
          password: fc.anything(),
        })
        .map((v) => JSON.stringify(v)),
      fc
        .record({ email: fc.constant('fuzz@example.com'), password: fc.oneof(fc.integer(), fc.constant(''), fc.boolean(), fc.array(fc.string())) })
        .map((v) => JSON.stringify(v)),
      fc
        .jsonValue()
        .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/api/v1/portal/signup', '/api/v1/portal/login'), wrong, async (path, body) => {
        const req = { method: 'POST', path, headers: { 'content-type': 'application/json', origin: 'http://localhost' }, body };
        const { status, text } = await send(req);
        expect(status, `${path} ${body} → ${text}`).toBeGreaterThanOrEqual(400);
        never5xx(req, status, text);
      }),
      params(runs(1000)),
    );
  });

  it(`sandbox with a real key: random bodies, queries and ids → never 5xx, malformed JSON → 400 (${runs(800)} runs)`, {
    timeout: 120_000 * SCALE,
  }, async () => {
    const key = await sandboxKey();
    const body = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({ to: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()), body: fc.oneof(fc.string({ maxLength: 1700 }), fc.constant(null)) })
        .map((v) => JSON.stringify(v)),
    );
    const request = fc.oneof(
      fc.tuple(body).map(([b]) => ({ method: 'POST', path: '/sandbox/v1/messages', body: b })),
      fc
        .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 }))
        .map(([limit, cursor]) => ({ method: 'GET', path: `/sandbox/v1/messages?limit=${encodeURIComponent(limit)}&cursor=${encodeURIComponent(cursor)}` })),
      fc.string({ minLength: 1, maxLength: 60 }).map((id) => ({ method: 'GET', path: `/sandbox/v1/messages/${encodeURIComponent(id)}` })),
    );
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const req = { ...r, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } } as FuzzRequest;
        const { status, text } = await send(req);
        never5xx(req, status, text);
        if (r.method === 'POST' && status !== 201) expect(JSON.parse(text).error.code, text).toMatch(/parameter_invalid|rate_limit_exceeded/);
      }),
      params(runs(800)),
    );
  });

  it(`every other route with random methods, queries, odd headers and bodies → never 5xx (${runs(1700)} runs)`, { timeout: 120_000 * SCALE }, async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryRouteRequest(ROUTES), async (req) => {
        const { status, text } = await send(req);
        never5xx(req, status, text);
      }),
      params(runs(1700)),
    );
  });

  it(`admin events and reports with random query values → never 5xx, bad values name the field (${runs(400)} runs)`, { timeout: 120_000 * SCALE }, async () => {
    const path = fc.constantFrom('/api/v1/events', '/api/v1/reports/funnel', '/api/v1/reports/ttfsi', '/api/v1/reports/docs', '/api/v1/reports/api-health');
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('-1', '0', '1e309', 'NaN', '99999999999999999999', '2026-13-45', "' OR 1=1 --", '1; DROP TABLE events'),
    );
    const key = fc.constantFrom(
      'limit',
      'event',
      'distinct_id',
      'before',
      'from',
      'to',
      'days',
      'window',
      'window_days',
      'steps',
      'path',
      'interval',
      'group',
      'sort',
    );
    await fc.assert(
      fc.asyncProperty(path, fc.array(fc.tuple(key, value), { maxLength: 3 }), async (p, pairs) => {
        const query = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
        const req = { method: 'GET', path: `${p}?${query}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
        const { status, text } = await send(req);
        never5xx(req, status, text);
      }),
      // Found by this fuzzer: a `to` beyond the Date range made the funnel report throw (500).
      { ...params(runs(400)), examples: [['/api/v1/reports/funnel', [['to', '99999999999999999999']]]] as Array<[string, Array<[string, string]>]> },
    );
  });

  it(`admin alert rules with random JSON bodies, ids and methods → never 5xx (${runs(300)} runs)`, { timeout: 120_000 * SCALE }, async () => {
    // No `/check`: a rule that passed validation could send a webhook somewhere.
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 60 }),
      fc
        .record(
          {
            name: fc.oneof(fc.string({ maxLength: 300 }), fc.integer()),
            metric: fc.string({ maxLength: 20 }),
            threshold: fc.oneof(fc.double(), fc.string()),
            window: fc.string({ maxLength: 10 }),
            webhook_url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 30 })),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    );
    const request = fc.oneof(
      body.map((b) => ({ method: 'POST', path: '/api/v1/alerts', body: b })),
      fc
        .tuple(fc.string({ minLength: 1, maxLength: 40 }), body)
        .map(([id, b]) => ({ method: 'PATCH', path: `/api/v1/alerts/${encodeURIComponent(id)}`, body: b })),
      fc
        .tuple(fc.constantFrom('GET', 'DELETE'), fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('', '/deliveries'))
        .map(([method, id, tail]) => ({ method, path: `/api/v1/alerts/${encodeURIComponent(id)}${tail}` })),
    );
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const req: FuzzRequest = { ...r, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', origin: 'http://localhost' } };
        const { status, text } = await send(req);
        never5xx(req, status, text);
      }),
      params(runs(300)),
    );
  });

  afterAll(() => console.log(`[fuzz] ${total} generated requests, seed ${SEED}`));

  it('sent at least 10,000 requests and the app still answers', async () => {
    expect(total).toBeGreaterThanOrEqual(runs(10_000));
    const event = validEvent(PROJECT_TOKEN, { event: 'after_fuzz' });
    const res = await app.request('/i/v0/e/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
    expect(res.status).toBe(200);
    expect((await listEvents(app, 'event=after_fuzz')).map((e) => e.uuid)).toEqual([event.uuid]);
  });
});

/** Signs up through the portal API and creates a sandbox key, as a developer would. */
async function sandboxKey(): Promise<string> {
  const origin = 'http://localhost';
  const signup = await app.request(
    '/api/v1/portal/signup',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({ email: `fuzz-${Date.now()}@example.com`, password: 'correct horse battery' }),
    },
    { incoming: { socket: { remoteAddress: '192.0.2.45' } } },
  );
  expect(signup.status, await signup.clone().text()).toBe(201);
  const cookie = signup.headers.get('set-cookie')!.split(';')[0]!;
  const created = await app.request(
    '/api/v1/portal/keys',
    { method: 'POST', headers: { 'content-type': 'application/json', origin, cookie }, body: JSON.stringify({ name: 'fuzz' }) },
    { incoming: { socket: { remoteAddress: '192.0.2.45' } } },
  );
  expect(created.status, await created.clone().text()).toBe(201);
  return ((await created.json()) as { secret: string }).secret;
}
