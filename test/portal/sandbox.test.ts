import { describe, expect, it } from 'vitest';
import { testApp } from '../support/app.ts';
import { createKey, flushedEvents, ORIGIN, sandbox, signUp } from './helpers.ts';

type ErrorBody = { error: { type: string; code: string; message: string; doc_url: string } };
type Message = { id: string; object: string; to: string; body: string; status: string; created: number };
const valid = { to: '+15551234567', body: 'Hello from the sandbox' };

async function developerWithKey() {
  const { app, db } = testApp();
  const { client, account } = await signUp(app);
  const { secret, key } = await createKey(client);
  return { app, db, client, account, secret, key };
}

function expectError(body: ErrorBody, type: string, code: string) {
  expect(Object.keys(body.error).sort()).toEqual(['code', 'doc_url', 'message', 'type']);
  expect(body.error.type).toBe(type);
  expect(body.error.code).toBe(code);
  expect(body.error.doc_url).toBe(`${ORIGIN}/docs/errors/#${code}`);
}

describe('messages', () => {
  it('creates a message (201) and reads it back', async () => {
    const { app, secret } = await developerWithKey();
    const before = Math.floor(Date.now() / 1000);
    const res = await sandbox(app, '/sandbox/v1/messages', secret, { body: valid });
    expect(res.status).toBe(201);
    const message = (await res.json()) as Message;
    expect(message).toMatchObject({ object: 'message', to: valid.to, body: valid.body, status: 'queued' });
    expect(message.id).toMatch(/^msg_[A-Za-z0-9]{24}$/);
    expect(message.created).toBeGreaterThanOrEqual(before);
    expect(message.created).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    const read = await sandbox(app, `/sandbox/v1/messages/${message.id}`, secret);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(message);
  });

  it('accepts a form-encoded body and a 1600-character body (counted in characters, not bytes)', async () => {
    const { app, secret } = await developerWithKey();
    const form = await sandbox(app, '/sandbox/v1/messages', secret, {
      body: 'to=%2B15551234567&body=hi',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(201);
    const long = await sandbox(app, '/sandbox/v1/messages', secret, { body: { to: valid.to, body: '😀'.repeat(1600) } });
    expect(long.status).toBe(201);
  });

  it('lists newest first with an opaque cursor until has_more is false', async () => {
    const { app, secret } = await developerWithKey();
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await sandbox(app, '/sandbox/v1/messages', secret, { body: { to: valid.to, body: `message ${i}` } });
      ids.push(((await res.json()) as Message).id);
    }
    const first = (await (await sandbox(app, '/sandbox/v1/messages', secret)).json()) as {
      object: string;
      data: Message[];
      has_more: boolean;
      next_cursor: string | null;
    };
    expect(first.object).toBe('list');
    expect(first.data).toHaveLength(10);
    expect(first.data[0]!.body).toBe('message 24');
    expect(first.has_more).toBe(true);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/sandbox/v1/messages?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = (await (await sandbox(app, url, secret)).json()) as { data: Message[]; has_more: boolean; next_cursor: string | null };
      seen.push(...page.data.map((m) => m.id));
      expect(page.next_cursor === null).toBe(!page.has_more);
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toEqual([...ids].reverse());

    const all = (await (await sandbox(app, '/sandbox/v1/messages?limit=100', secret)).json()) as { data: Message[]; has_more: boolean; next_cursor: null };
    expect(all.data).toHaveLength(25);
    expect(all.has_more).toBe(false);
    expect(all.next_cursor).toBeNull();
  });

  it('an unknown message id is 404 resource_missing', async () => {
    const { app, secret } = await developerWithKey();
    const res = await sandbox(app, '/sandbox/v1/messages/msg_doesnotexist', secret);
    expect(res.status).toBe(404);
    const body = (await res.json()) as ErrorBody;
    expectError(body, 'invalid_request_error', 'resource_missing');
    expect(body.error.message).toMatch(/^id: /);
  });

  it('an unknown sandbox path or method is 404 resource_missing, after authentication', async () => {
    const { app, secret } = await developerWithKey();
    expectError((await (await sandbox(app, '/sandbox/v1/widgets', secret)).json()) as ErrorBody, 'invalid_request_error', 'resource_missing');
    expectError(
      (await (await sandbox(app, '/sandbox/v1/messages', secret, { method: 'PUT' })).json()) as ErrorBody,
      'invalid_request_error',
      'resource_missing',
    );
    expectError((await (await sandbox(app, '/sandbox/v1/widgets', null)).json()) as ErrorBody, 'authentication_error', 'missing_api_key');
  });
});

describe.each([
  ['malformed JSON', '{"to": "+1555', /^body: request body must be a JSON object/],
  ['JSON array', '[]', /^body: request body must be a JSON object/],
  ['JSON string', '"hello"', /^body: request body must be a JSON object/],
  ['empty body', '', /^body: request body must be a JSON object/],
  ['missing to', { body: 'hi' }, /^to: is required/],
  ['to without plus', { to: '15551234567', body: 'hi' }, /^to: must be an E\.164 phone number/],
  ['to with letters', { to: '+1555CALLME', body: 'hi' }, /^to: must be an E\.164/],
  ['to too long', { to: '+1234567890123456', body: 'hi' }, /^to: must be an E\.164/],
  ['to as number', { to: 15551234567, body: 'hi' }, /^to: is required and must be a string/],
  ['missing body', { to: '+15551234567' }, /^body: is required/],
  ['empty body field', { to: '+15551234567', body: '' }, /^body: must not be empty/],
  ['body too long', { to: '+15551234567', body: 'x'.repeat(1601) }, /^body: must be at most 1600 characters/],
  ['body as object', { to: '+15551234567', body: { text: 'hi' } }, /^body: is required and must be a string/],
])('POST /sandbox/v1/messages with %s', (_label, input, expected) => {
  it('is 400 parameter_invalid naming the field', async () => {
    const { app, secret } = await developerWithKey();
    const res = await sandbox(app, '/sandbox/v1/messages', secret, { method: 'POST', body: input, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expectError(body, 'invalid_request_error', 'parameter_invalid');
    expect(body.error.message).toMatch(expected);
  });
});

describe.each([
  ['limit=0', /^limit: must be a whole number from 1 to 100/],
  ['limit=101', /^limit: must be a whole number from 1 to 100/],
  ['limit=abc', /^limit: must be a whole number from 1 to 100/],
  ['limit=2.5', /^limit: must be a whole number from 1 to 100/],
  ['cursor=not-a-cursor!', /^cursor: not a cursor this API issued/],
  [`cursor=${Buffer.from('v2:5').toString('base64url')}`, /^cursor: /],
])('GET /sandbox/v1/messages?%s', (query, expected) => {
  it('is 400 parameter_invalid naming the parameter', async () => {
    const { app, secret } = await developerWithKey();
    const res = await sandbox(app, `/sandbox/v1/messages?${query}`, secret);
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expectError(body, 'invalid_request_error', 'parameter_invalid');
    expect(body.error.message).toMatch(expected);
  });
});

describe.each([
  ['no Authorization header', undefined, 'missing_api_key', /no API key provided/],
  ['empty Bearer', 'Bearer ', 'missing_api_key', /no API key/],
  ['unknown key', `Bearer onr_test_${'A'.repeat(40)}`, 'invalid_api_key', /invalid API key/],
  ['garbage', 'Bearer hello', 'invalid_api_key', /invalid API key/],
  ['live key', `Bearer onr_live_${'A'.repeat(40)}`, 'invalid_api_key', /live keys .* can't call the sandbox/],
  ['wrong scheme', 'Token abc', 'invalid_api_key', /Bearer scheme/],
])('sandbox call with %s', (_label, authorization, code, expected) => {
  it(`is 401 ${code}`, async () => {
    const { app } = testApp();
    const res = await sandbox(app, '/sandbox/v1/messages', null, { headers: authorization === undefined ? {} : { authorization } });
    expect(res.status).toBe(401);
    const body = (await res.json()) as ErrorBody;
    expectError(body, 'authentication_error', code);
    expect(body.error.message).toMatch(expected);
  });
});

describe('oversized body', () => {
  it('is 400 parameter_invalid naming body, and still a recorded call', async () => {
    const { app, client, secret } = await developerWithKey();
    const res = await sandbox(app, '/sandbox/v1/messages', secret, { body: { to: valid.to, body: 'x'.repeat(70_000) } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expectError(body, 'invalid_request_error', 'parameter_invalid');
    expect(body.error.message).toMatch(/^body: request body must be at most 65536 bytes/);
    const calls = (await (await client.get('/api/v1/portal/calls')).json()) as { calls: Array<{ status: number; error_code: string }> };
    expect(calls.calls.map((c) => [c.status, c.error_code])).toEqual([[400, 'parameter_invalid']]);
  });
});

describe('authentication details', () => {
  it('a typo in the secret part is invalid_api_key; HTTP Basic with the key as user name works (curl -u)', async () => {
    const { app, secret } = await developerWithKey();
    const typo = secret.slice(0, -1) + (secret.endsWith('a') ? 'b' : 'a');
    const res = await sandbox(app, '/sandbox/v1/messages', typo);
    expect(res.status).toBe(401);
    expect(((await res.json()) as ErrorBody).error.code).toBe('invalid_api_key');
    const short = await sandbox(app, '/sandbox/v1/messages', secret.slice(0, 30));
    expect(((await short.json()) as ErrorBody).error.code).toBe('invalid_api_key');
    const basic = await sandbox(app, '/sandbox/v1/messages', null, { headers: { authorization: `Basic ${Buffer.from(`${secret}:`).toString('base64')}` } });
    expect(basic.status).toBe(200);
  });
});

describe('per-key rate limit', () => {
  it('allows 60 requests per 60 s, then 429 rate_limit_exceeded with Retry-After and X-RateLimit-* headers', async () => {
    const { app, client, secret } = await developerWithKey();
    const other = await createKey(client, 'second key');
    let last: Response | undefined;
    for (let i = 1; i <= 60; i++) {
      last = await sandbox(app, '/sandbox/v1/messages?limit=1', secret);
      expect(last.status).toBe(200);
      expect(last.headers.get('x-ratelimit-limit')).toBe('60');
      expect(last.headers.get('x-ratelimit-remaining')).toBe(String(60 - i));
    }
    const reset = Number(last!.headers.get('x-ratelimit-reset'));
    const nowSeconds = Date.now() / 1000;
    expect(reset).toBeGreaterThan(nowSeconds);
    expect(reset).toBeLessThanOrEqual(nowSeconds + 61);

    const limited = await sandbox(app, '/sandbox/v1/messages', secret, { body: valid });
    expect(limited.status).toBe(429);
    const body = (await limited.json()) as ErrorBody;
    expectError(body, 'rate_limit_error', 'rate_limit_exceeded');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-limit')).toBe('60');

    // The limit is per key: the same developer's other key is unaffected.
    expect((await sandbox(app, '/sandbox/v1/messages', other.secret)).status).toBe(200);
  });

  it('headers are present on validation errors too', async () => {
    const { app, secret } = await developerWithKey();
    const res = await sandbox(app, '/sandbox/v1/messages', secret, { body: { to: 'x', body: '' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('59');
  });
});

describe('api_call events and the dashboard call list', () => {
  it('records every call, failures included, attributed to the key owner when the prefix names one', async () => {
    const { app, client, account, secret, key } = await developerWithKey();
    await sandbox(app, '/sandbox/v1/messages', `${secret.slice(0, -2)}zz`, { body: valid }); // typo in the secret
    const ok = await sandbox(app, '/sandbox/v1/messages', secret, { body: valid });
    const id = ((await ok.json()) as Message).id;
    await sandbox(app, `/sandbox/v1/messages/${id}`, secret);
    await sandbox(app, '/sandbox/v1/messages/msg_nope', secret);
    await client.del(`/api/v1/portal/keys/${key.id}`);
    await sandbox(app, '/sandbox/v1/messages', secret); // revoked
    await sandbox(app, '/sandbox/v1/messages', null); // nobody to attribute

    const calls = (await flushedEvents(app, `event=api_call&distinct_id=${account.id}`)).reverse();
    expect(calls.map((e) => e.distinctId)).toEqual(Array(5).fill(account.id));
    expect(calls.map((e) => [e.properties.method, e.properties.endpoint, e.properties.status, e.properties.error_code ?? null])).toEqual([
      ['POST', '/sandbox/v1/messages', 401, 'invalid_api_key'],
      ['POST', '/sandbox/v1/messages', 201, null],
      ['GET', '/sandbox/v1/messages/:id', 200, null],
      ['GET', '/sandbox/v1/messages/:id', 404, 'resource_missing'],
      ['GET', '/sandbox/v1/messages', 401, 'revoked_api_key'],
    ]);
    for (const e of calls) {
      expect(e.properties.key_prefix).toBe(key.prefix);
      expect(typeof e.properties.duration_ms).toBe('number');
      expect(e.properties.duration_ms as number).toBeGreaterThanOrEqual(0);
      expect('error_code' in e.properties).toBe((e.properties.status as number) >= 400);
    }

    const all = await flushedEvents(app, 'event=api_call');
    const unattributed = all.filter((e) => e.distinctId !== account.id);
    expect(unattributed).toHaveLength(1);
    expect(unattributed[0]!.distinctId).toMatch(/^sandbox_unattributed_[0-9a-f]{12}$/);
    expect(unattributed[0]!.properties).toMatchObject({ status: 401, error_code: 'missing_api_key', key_prefix: null });

    const dashboard = (await (await client.get('/api/v1/portal/calls')).json()) as {
      calls: Array<{ status: number; error_code: string | null; endpoint: string; created_at: string }>;
    };
    expect(dashboard.calls.map((c) => [c.status, c.error_code])).toEqual([
      [401, 'revoked_api_key'],
      [404, 'resource_missing'],
      [200, null],
      [201, null],
      [401, 'invalid_api_key'],
    ]);
    expect(Number.isNaN(Date.parse(dashboard.calls[0]!.created_at))).toBe(false);
  });
});
