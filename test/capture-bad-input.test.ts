import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, listEvents, PROJECT_TOKEN, testApp } from './support/app.ts';
import { captureEvent } from './support/factories.ts';

const json = (body: unknown) => JSON.stringify(body);
const withProps = (properties: unknown) => captureEvent({ properties });

interface BadCase {
  name: string;
  path?: string;
  body: BodyInit;
  headers?: Record<string, string>;
  status: number;
  code: string;
  /** A fragment the message must contain, so it names the field. */
  mentions: string;
}

const cases: BadCase[] = [
  { name: 'malformed JSON', body: '{"event": "x",', status: 400, code: 'invalid_json', mentions: 'body' },
  { name: 'empty body', body: '', status: 400, code: 'invalid_json', mentions: 'body' },
  {
    name: 'malformed gzip',
    path: '/e/?compression=gzip-js',
    body: Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]),
    headers: { 'content-type': 'text/plain' },
    status: 400,
    code: 'invalid_gzip',
    mentions: 'gzip',
  },
  {
    name: 'malformed base64',
    path: '/e/?compression=base64',
    body: 'data=%%%not*base64',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 400,
    code: 'invalid_base64',
    mentions: 'data',
  },
  {
    name: 'base64 that is not JSON',
    path: '/e/?compression=base64',
    body: `data=${Buffer.from('not json').toString('base64')}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 400,
    code: 'invalid_json',
    mentions: 'body',
  },
  { name: 'invalid UTF-8', body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), status: 400, code: 'invalid_utf8', mentions: 'UTF-8' },
  {
    name: 'a body over 1 MiB',
    body: json({ ...captureEvent(), properties: { token: PROJECT_TOKEN, distinct_id: 'a', pad: 'x'.repeat(1024 * 1024) } }),
    status: 413,
    code: 'payload_too_large',
    mentions: 'body',
  },
  {
    name: 'decompressed data over 20 MiB (zip bomb)',
    path: '/batch/',
    body: gzipSync(Buffer.alloc(25 * 1024 * 1024, 0x20)),
    headers: { 'content-encoding': 'gzip' },
    status: 413,
    code: 'payload_too_large',
    mentions: 'decompressed',
  },
  {
    name: 'more than 1,000 events in a batch',
    path: '/batch/',
    body: json({ api_key: PROJECT_TOKEN, batch: Array.from({ length: 1001 }, () => ({ event: 'e', distinct_id: 'd' })) }),
    status: 400,
    code: 'batch_too_large',
    mentions: 'batch',
  },
  { name: 'an empty batch', path: '/batch/', body: json({ api_key: PROJECT_TOKEN, batch: [] }), status: 400, code: 'invalid_request', mentions: 'batch' },
  {
    name: 'a missing event name',
    body: json({ properties: { token: PROJECT_TOKEN, distinct_id: 'a' } }),
    status: 400,
    code: 'invalid_event',
    mentions: 'event.event: required',
  },
  {
    name: 'a non-string event name',
    body: json({ event: 12, properties: { token: PROJECT_TOKEN, distinct_id: 'a' } }),
    status: 400,
    code: 'invalid_event',
    mentions: 'event.event',
  },
  {
    name: 'an event name over 200 chars',
    body: json(captureEvent({ event: 'e'.repeat(201) })),
    status: 400,
    code: 'invalid_event',
    mentions: 'event.event: must be at most 200',
  },
  {
    name: 'a distinct_id over 200 chars',
    body: json(withProps({ token: PROJECT_TOKEN, distinct_id: 'd'.repeat(201) })),
    status: 400,
    code: 'invalid_event',
    mentions: 'distinct_id',
  },
  { name: 'a missing distinct_id', body: json(withProps({ token: PROJECT_TOKEN })), status: 400, code: 'invalid_event', mentions: 'distinct_id' },
  {
    name: 'non-object properties',
    body: json({ event: 'x', distinct_id: 'a', api_key: PROJECT_TOKEN, properties: ['a'] }),
    status: 400,
    code: 'invalid_event',
    mentions: 'event.properties',
  },
  {
    name: 'string properties',
    body: json({ event: 'x', distinct_id: 'a', api_key: PROJECT_TOKEN, properties: 'nope' }),
    status: 400,
    code: 'invalid_event',
    mentions: 'event.properties',
  },
  {
    name: 'a timestamp that cannot be parsed',
    body: json(captureEvent({ timestamp: 'next tuesday' })),
    status: 400,
    code: 'invalid_timestamp',
    mentions: 'event.timestamp',
  },
  {
    name: 'a sent_at that cannot be parsed',
    path: '/e/?sent_at=yesterday',
    body: json(captureEvent()),
    status: 400,
    code: 'invalid_timestamp',
    mentions: 'sent_at',
  },
  {
    name: 'properties nested deeper than 1,000 levels',
    body: json(withProps({ token: PROJECT_TOKEN, distinct_id: 'a', x: JSON.parse(`${'['.repeat(1000)}${']'.repeat(1000)}`) })),
    status: 400,
    code: 'invalid_request',
    mentions: 'event.properties: nested deeper than 1000',
  },
  { name: 'a malformed uuid', body: json(captureEvent({ uuid: 'not-a-uuid' })), status: 400, code: 'invalid_event', mentions: 'event.uuid' },
  {
    name: 'a wrong content type',
    body: json(captureEvent()),
    headers: { 'content-type': 'image/png' },
    status: 415,
    code: 'unsupported_media_type',
    mentions: 'content-type',
  },
  {
    name: 'a wrong content encoding',
    body: json(captureEvent()),
    headers: { 'content-encoding': 'br' },
    status: 415,
    code: 'unsupported_media_type',
    mentions: 'content-encoding',
  },
  { name: 'a body that is not an event', body: json('hello'), status: 400, code: 'invalid_request', mentions: 'body' },
  { name: 'a missing token', body: json({ event: 'x', distinct_id: 'a' }), status: 401, code: 'missing_token', mentions: 'api_key' },
  { name: 'a wrong token', body: json({ event: 'x', distinct_id: 'a', api_key: 'phc_other' }), status: 401, code: 'invalid_token', mentions: 'token' },
  {
    name: 'a wrong token on one event of a batch',
    path: '/batch/',
    body: json({ batch: [captureEvent(), captureEvent({ properties: { token: 'phc_other', distinct_id: 'z' } })] }),
    status: 401,
    code: 'invalid_token',
    mentions: 'batch[1].token',
  },
];

describe.each(cases)('capture rejects $name', ({ path = '/e/', body, headers, status, code, mentions }) => {
  it(`with ${status} ${code}, naming the field, storing nothing`, async () => {
    const { app } = testApp();
    const res = await app.request(path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    expect(res.status).toBe(status);
    const payload = (await res.json()) as { error: { code: string; message: string } };
    expect(payload.error.code).toBe(code);
    expect(payload.error.message).toContain(mentions);
    expect(await listEvents(app)).toHaveLength(0);
  });
});

describe('a bad event inside a batch', () => {
  it('rejects the whole request with the index of the bad event', async () => {
    const { app } = testApp();
    const batch = [captureEvent(), captureEvent(), { ...captureEvent(), event: '' }, captureEvent()];
    const res = await app.request('/batch/', { method: 'POST', body: json({ api_key: PROJECT_TOKEN, batch }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('batch[2].event');
    expect(await listEvents(app)).toHaveLength(0);
  });

  it('names the index in a bare array too', async () => {
    const { app } = testApp();
    const res = await app.request('/e/', { method: 'POST', body: json([captureEvent(), { ...captureEvent(), timestamp: 'soon' }]) });
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('[1].timestamp');
  });
});

describe('admin events API', () => {
  it('needs the admin token', async () => {
    const { app } = testApp();
    for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { authorization: `Bearer ${PROJECT_TOKEN}` }] as Array<Record<string, string>>) {
      const res = await app.request('/api/v1/events', { headers });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=5000', 'limit'],
    ['before=never', 'before'],
    ['before=99999999999999999999', 'before'],
  ])('rejects %s naming %s', async (query, field) => {
    const { app } = testApp();
    const res = await app.request(`/api/v1/events?${query}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(field);
  });
});
