import { describe, expect, it } from 'vitest';
import { adminHeaders, storedRows, tableNames, testApp } from '../support/app.ts';
import { createKey, portalClient, sandbox, signUp } from './helpers.ts';

type ErrorBody = { error: { type?: string; code: string; message: string; doc_url?: string } };
const message = { to: '+15551234567', body: 'Hello from the sandbox' };

/** Every text value in every table of the database, to prove a secret is stored nowhere. */
async function allStoredText(db: ReturnType<typeof testApp>['db']): Promise<string> {
  let text = '';
  for (const name of await tableNames(db)) {
    for (const row of await storedRows(db, `SELECT * FROM "${name.replace(/"/g, '""')}"`)) text += `${JSON.stringify(row)}\n`;
  }
  return text;
}

describe('API key lifecycle', () => {
  it('creates a named key, shows the secret once, lists without it, and revokes it', async () => {
    const { app } = testApp();
    const { client } = await signUp(app);
    const { secret, key } = await createKey(client, '  laptop  ');
    expect(secret).toMatch(/^onr_test_[A-Za-z0-9]{8}[A-Za-z0-9]{32}$/);
    expect(key.prefix).toBe(secret.slice(0, 17));
    expect(key.name).toBe('laptop');
    expect(key.status).toBe('active');

    const listed = (await (await client.get('/api/v1/portal/keys')).json()) as { keys: Array<Record<string, unknown>> };
    expect(listed.keys).toHaveLength(1);
    expect(listed.keys[0]).toMatchObject({ id: key.id, name: 'laptop', prefix: key.prefix, status: 'active', revoked_at: null });
    expect(JSON.stringify(listed)).not.toContain(secret.slice(17));

    expect((await sandbox(app, '/sandbox/v1/messages', secret, { body: message })).status).toBe(201);
    const used = (await (await client.get('/api/v1/portal/keys')).json()) as { keys: Array<{ last_used_at: string | null }> };
    expect(used.keys[0]!.last_used_at).not.toBeNull();

    const revoke = await client.del(`/api/v1/portal/keys/${key.id}`);
    expect(revoke.status).toBe(200);
    expect(((await revoke.json()) as { key: { status: string } }).key.status).toBe('revoked');
    const after = (await (await client.get('/api/v1/portal/keys')).json()) as { keys: Array<{ status: string; revoked_at: string | null }> };
    expect(after.keys[0]!.status).toBe('revoked');
    expect(after.keys[0]!.revoked_at).not.toBeNull();
  });

  it('a revoked key gets 401 revoked_api_key; other keys keep working', async () => {
    const { app } = testApp();
    const { client } = await signUp(app);
    const first = await createKey(client, 'first');
    const second = await createKey(client, 'second');
    await client.del(`/api/v1/portal/keys/${first.key.id}`);
    const res = await sandbox(app, '/sandbox/v1/messages', first.secret, { body: message });
    expect(res.status).toBe(401);
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toMatchObject({ type: 'authentication_error', code: 'revoked_api_key', doc_url: 'http://localhost/docs/errors/#revoked_api_key' });
    expect(body.error.message).toContain('revoked');
    expect((await sandbox(app, '/sandbox/v1/messages', second.secret, { body: message })).status).toBe(201);
  });

  it('never stores the secret: only its sha256 and the public prefix', async () => {
    const { app, db } = testApp();
    const { client } = await signUp(app);
    const { secret, key } = await createKey(client);
    await sandbox(app, '/sandbox/v1/messages', secret, { body: message });
    await sandbox(app, '/sandbox/v1/messages', `${secret.slice(0, -1)}0`, { body: message });
    await app.telemetry.flush();
    const stored = await allStoredText(db);
    const secretPart = secret.slice(17);
    expect(stored).not.toContain(secretPart);
    expect(stored).not.toContain(secretPart.slice(0, 16));
    expect(stored).toContain(key.prefix);
    const [row] = await storedRows<{ key_hash: string }>(db, 'SELECT key_hash FROM api_keys WHERE id = ?', key.id);
    const { createHash } = await import('node:crypto');
    expect(row!.key_hash).toBe(createHash('sha256').update(secret).digest('hex'));
  });

  describe.each([
    ['missing name', {}, /^name: /],
    ['empty name', { name: '   ' }, /^name: must not be empty/],
    ['long name', { name: 'x'.repeat(101) }, /^name: must be at most 100 characters/],
    ['number name', { name: 7 }, /^name: /],
  ])('bad key input (%s)', (_label, input, expected) => {
    it('is a 400 naming the field', async () => {
      const { app } = testApp();
      const { client } = await signUp(app);
      const res = await client.post('/api/v1/portal/keys', input);
      expect(res.status).toBe(400);
      expect(((await res.json()) as ErrorBody).error.message).toMatch(expected);
    });
  });

  it('needs a session: 401 without one', async () => {
    const { app } = testApp();
    for (const [method, path] of [
      ['GET', '/api/v1/portal/keys'],
      ['POST', '/api/v1/portal/keys'],
      ['DELETE', '/api/v1/portal/keys/key_x'],
      ['GET', '/api/v1/portal/calls'],
      ['POST', '/api/v1/portal/support'],
    ] as const) {
      const res = await app.request(path, { method, headers: { origin: 'http://localhost' } });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(((await res.json()) as ErrorBody).error.code).toBe('not_logged_in');
    }
  });
});

describe('a sandbox key is only good for the sandbox', () => {
  it('is refused by portal and admin routes', async () => {
    const { app } = testApp();
    const { client } = await signUp(app);
    const { secret } = await createKey(client);
    const bearer = { authorization: `Bearer ${secret}`, origin: 'http://localhost' };
    for (const [method, path] of [
      ['GET', '/api/v1/portal/keys'],
      ['POST', '/api/v1/portal/keys'],
      ['GET', '/api/v1/portal/calls'],
      ['GET', '/api/v1/events'],
    ] as const) {
      const res = await app.request(path, { method, headers: bearer, body: method === 'POST' ? '{"name":"x"}' : undefined });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    const me = (await (await app.request('/api/v1/portal/me', { headers: bearer })).json()) as { account: unknown };
    expect(me.account).toBeNull();
  });

  it('and a session cookie or the admin token is not a sandbox key', async () => {
    const { app } = testApp();
    const { client } = await signUp(app);
    const viaCookie = await app.request('/sandbox/v1/messages', { headers: { cookie: client.cookie()! } });
    expect(viaCookie.status).toBe(401);
    expect(((await viaCookie.json()) as ErrorBody).error.code).toBe('missing_api_key');
    const viaAdmin = await app.request('/sandbox/v1/messages', { headers: adminHeaders });
    expect(((await viaAdmin.json()) as ErrorBody).error.code).toBe('invalid_api_key');
  });
});

describe('cross-account isolation', () => {
  it("a developer can never read or revoke another developer's keys, calls or messages", async () => {
    const { app } = testApp();
    const alice = await signUp(app);
    const bob = await signUp(app);
    const aliceKey = await createKey(alice.client, 'alice key');
    const bobKey = await createKey(bob.client, 'bob key');
    const created = await sandbox(app, '/sandbox/v1/messages', aliceKey.secret, { body: message });
    const aliceMessage = (await created.json()) as { id: string };
    await sandbox(app, '/sandbox/v1/messages', aliceKey.secret, { body: { to: 'nope', body: '' } });

    const bobKeys = (await (await bob.client.get('/api/v1/portal/keys')).json()) as { keys: Array<{ id: string; name: string }> };
    expect(bobKeys.keys.map((k) => k.name)).toEqual(['bob key']);
    const bobCalls = (await (await bob.client.get('/api/v1/portal/calls')).json()) as { calls: unknown[] };
    expect(bobCalls.calls).toEqual([]);

    const steal = await bob.client.del(`/api/v1/portal/keys/${aliceKey.key.id}`);
    expect(steal.status).toBe(404);
    const aliceKeys = (await (await alice.client.get('/api/v1/portal/keys')).json()) as { keys: Array<{ status: string }> };
    expect(aliceKeys.keys[0]!.status).toBe('active');

    const peek = await sandbox(app, `/sandbox/v1/messages/${aliceMessage.id}`, bobKey.secret);
    expect(peek.status).toBe(404);
    const bobList = (await (await sandbox(app, '/sandbox/v1/messages', bobKey.secret)).json()) as { data: unknown[] };
    expect(bobList.data).toEqual([]);
    const aliceList = (await (await sandbox(app, '/sandbox/v1/messages', aliceKey.secret)).json()) as { data: Array<{ id: string }> };
    expect(aliceList.data.map((m) => m.id)).toEqual([aliceMessage.id]);

    const aliceCalls = (await (await alice.client.get('/api/v1/portal/calls')).json()) as {
      calls: Array<{ status: number; error_code: string | null; endpoint: string; method: string }>;
    };
    expect(aliceCalls.calls.map((c) => [c.method, c.endpoint, c.status, c.error_code])).toEqual([
      ['GET', '/sandbox/v1/messages', 200, null],
      ['POST', '/sandbox/v1/messages', 400, 'parameter_invalid'],
      ['POST', '/sandbox/v1/messages', 201, null],
    ]);
    // Bob's calls (the 404 peek and his list) are his alone.
    const bobCallsAfter = (await (await bob.client.get('/api/v1/portal/calls')).json()) as { calls: Array<{ status: number }> };
    expect(bobCallsAfter.calls.map((c) => c.status)).toEqual([200, 404]);
  });

  it('a logged-out client sees no account data', async () => {
    const { app } = testApp();
    await signUp(app);
    const stranger = portalClient(app);
    expect((await stranger.get('/api/v1/portal/calls')).status).toBe(401);
    expect(((await (await stranger.get('/api/v1/portal/me')).json()) as { account: unknown }).account).toBeNull();
  });
});
