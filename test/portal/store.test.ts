/**
 * The portal storage (api/portal/store.ts) and the reports-session store, written once against SqlDatabase: the
 * same suite runs on SQLite and (postgres project) PostgreSQL. Accounts stay apart, and the shared state
 * (rate-limit counters, login lockout, sessions) holds across two instances on one database.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { type Context, Hono } from 'hono';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { ApiError } from '../../api/errors.ts';
import { ADMIN_SESSION_TTL_MS } from '../../api/portal/admin-sessions.ts';
import type { CallRecord } from '../../api/portal/calls.ts';
import { sha256Hex } from '../../api/portal/ids.ts';
import { decodeCursor, type Message } from '../../api/portal/messages.ts';
import { type Limit, LOCKOUT, PRUNE_EVERY_HITS, throwIfLimited } from '../../api/portal/rate-limit.ts';
import { type PortalVariables, requireSession, SESSION_TTL_MS } from '../../api/portal/sessions.ts';
import { adminSessionStore, portalStore } from '../../api/portal/store.ts';
import type { SqlDatabase } from '../../api/storage/sql/interface.ts';
import { postgresDatabase } from '../../api/storage/sql/postgres.ts';
import { sqliteDatabase } from '../../api/storage/sql/sqlite.ts';
import type { PortalStore } from '../../api/storage/types.ts';
import { openDb } from '../../db/client.ts';
import { ADMIN_TOKEN, testDatabase } from '../support/app.ts';
import { afterThisTest, ON_POSTGRES } from '../support/pg-test-db.ts';

/**
 * Two instances on one fresh database, as two Onramp processes would have: on PostgreSQL two pools, on SQLite two
 * connections to one file.
 */
async function twoInstances(): Promise<[SqlDatabase, SqlDatabase]> {
  if (ON_POSTGRES) {
    const first = testDatabase();
    // Answers once the test's database exists; its name gives the second pool's URL.
    const { name } = (await first.get<{ name: string }>(sql`SELECT current_database() AS name`))!;
    const url = new URL(inject('onrampPgServerUrl'));
    url.pathname = `/${name}`;
    const second = new pg.Pool({ connectionString: url.toString(), max: 5 });
    second.on('error', () => undefined);
    afterThisTest(() => second.end());
    return [first, postgresDatabase(second)];
  }
  const file = join(mkdtempSync(join(tmpdir(), 'onramp-portal-')), 'db.sqlite');
  const a = openDb(`file:${file}`);
  const b = openDb(`file:${file}`);
  return [sqliteDatabase(a.$client), sqliteDatabase(b.$client)];
}

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const ALICE = { id: 'acct_alice', email: 'alice@example.com', passwordHash: 'scrypt$alice', createdAt: T0 };
const BOB = { id: 'acct_bob', email: 'bob@example.com', passwordHash: 'scrypt$bob', createdAt: T0 + 1 };

async function withAccounts(portal: PortalStore) {
  for (const account of [ALICE, BOB]) expect(await portal.createAccount(account)).toBe('created');
}

describe('accounts and support tickets', () => {
  it('find, create, and the duplicate email answer', async () => {
    const database = testDatabase();
    const portal = portalStore(database);
    await withAccounts(portal);
    expect(await portal.findAccountByEmail(ALICE.email)).toEqual(ALICE);
    expect(await portal.findAccountByEmail('nobody@example.com')).toBeNull();
    expect(await portal.createAccount({ ...ALICE, id: 'acct_alice2' })).toBe('email_taken');
    // An account id clash (random 20-character ids: never in practice) is an error here, not an email answer.
    await expect(portal.createAccount({ ...ALICE, email: 'other@example.com' })).rejects.toThrow();
  });

  it('concurrent signups for one email across two instances create exactly one account', async () => {
    const [one, two] = await twoInstances();
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => portalStore(i % 2 ? one : two).createAccount({ ...ALICE, id: `acct_racer${i}` })));
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
    expect(await one.get(sql`SELECT count(*) AS n FROM accounts`)).toEqual({ n: 1 });
  });

  it('stores a support ticket', async () => {
    const database = testDatabase();
    const portal = portalStore(database);
    await withAccounts(portal);
    const ticket = { id: 'tkt_1', accountId: ALICE.id, topic: 'api_keys', path: '/support/', message: 'help', createdAt: T0 };
    await portal.createSupportTicket(ticket);
    expect(await database.all(sql`SELECT id, account_id AS "accountId", topic, path, message, created_at AS "createdAt" FROM support_tickets`)).toEqual([
      ticket,
    ]);
  });
});

describe('API keys', () => {
  it('create, list, check, touch and revoke', async () => {
    const portal = portalStore(testDatabase());
    await withAccounts(portal);
    const first = await portal.createKey(ALICE.id, 'first', T0);
    const second = await portal.createKey(ALICE.id, 'second', T0 + 1000);
    expect(first.secret).toMatch(/^onr_test_[A-Za-z0-9]{40}$/);
    expect(first.secret.startsWith(first.key.prefix)).toBe(true);
    expect(first.key).toEqual({
      id: expect.stringMatching(/^key_[A-Za-z0-9]{16}$/),
      name: 'first',
      prefix: first.secret.slice(0, 17),
      status: 'active',
      created_at: new Date(T0).toISOString(),
      last_used_at: null,
      revoked_at: null,
    });
    expect((await portal.listKeys(ALICE.id)).map((k) => k.id)).toEqual([second.key.id, first.key.id]);

    const { secret, key } = first;
    const typo = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    expect(await portal.checkKey(secret)).toEqual({ status: 'ok', keyId: key.id, accountId: ALICE.id, prefix: key.prefix });
    expect(await portal.checkKey(typo)).toEqual({ status: 'invalid', accountId: ALICE.id, prefix: key.prefix });
    expect(await portal.checkKey(secret.slice(0, 20))).toEqual({ status: 'invalid', accountId: ALICE.id, prefix: key.prefix });
    expect(await portal.checkKey('onr_test_ZZZZZZZZ0000')).toEqual({ status: 'invalid', accountId: null, prefix: 'onr_test_ZZZZZZZZ' });
    expect(await portal.checkKey('onr_live_abc')).toEqual({ status: 'live', accountId: null, prefix: null });
    for (const junk of ['nonsense', '']) expect(await portal.checkKey(junk)).toEqual({ status: 'invalid', accountId: null, prefix: null });

    await portal.touchKey(key.id, T0 + 5000);
    const revoked = await portal.revokeKey(ALICE.id, key.id, T0 + 9000);
    expect(revoked).toEqual({
      changed: true,
      key: { ...key, status: 'revoked', last_used_at: new Date(T0 + 5000).toISOString(), revoked_at: new Date(T0 + 9000).toISOString() },
    });
    expect(await portal.revokeKey(ALICE.id, key.id, T0 + 20_000)).toEqual({ key: revoked!.key, changed: false });
    expect(await portal.checkKey(secret)).toEqual({ status: 'revoked', keyId: key.id, accountId: ALICE.id, prefix: key.prefix, revokedAt: T0 + 9000 });
  });

  it('stores only the sha256 and the public prefix of a key', async () => {
    const database = testDatabase();
    const portal = portalStore(database);
    await portal.createAccount(ALICE);
    const { key, secret } = await portal.createKey(ALICE.id, 'mine', T0);
    const rows = await database.all(sql`SELECT * FROM api_keys`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ prefix: key.prefix, key_hash: sha256Hex(secret) });
    expect(JSON.stringify(rows)).not.toContain(secret.slice(key.prefix.length));
  });

  it('a prefix already taken is retried with a new key, not an error', async () => {
    const database = testDatabase();
    const portal = portalStore(database);
    await portal.createAccount(ALICE);
    const { key } = await portal.createKey(ALICE.id, 'one', T0);
    // Every other prefix of the alphabet's first letters would be as good: this only needs one row in the way.
    await database.run(sql`UPDATE api_keys SET prefix = ${'onr_test_taken000'} WHERE id = ${key.id}`);
    const made = await Promise.all(Array.from({ length: 20 }, (_, i) => portal.createKey(ALICE.id, `k${i}`, T0)));
    expect(new Set(made.map((m) => m.key.prefix)).size).toBe(20);
  });

  it('one account cannot list, revoke or see the owner of another account’s keys', async () => {
    const portal = portalStore(testDatabase());
    await withAccounts(portal);
    const alices = await portal.createKey(ALICE.id, 'alice key', T0);
    expect(await portal.listKeys(BOB.id)).toEqual([]);
    expect(await portal.revokeKey(BOB.id, alices.key.id, T0 + 1)).toBeNull();
    expect(await portal.revokeKey(BOB.id, 'key_doesnotexist00', T0 + 1)).toBeNull();
    expect((await portal.listKeys(ALICE.id))[0]?.status).toBe('active');
  });
});

describe('sandbox calls and messages', () => {
  const call = (accountId: string | null, i: number): CallRecord => ({
    accountId,
    keyPrefix: accountId ? 'onr_test_abcdefgh' : null,
    method: i % 2 ? 'POST' : 'GET',
    endpoint: `/v1/messages/${i}`,
    status: i % 3 ? 200 : 429,
    errorCode: i % 3 ? null : 'rate_limited',
    durationMs: i * 7 + 0.25,
    createdAt: T0 + i * 1000,
  });

  it('recentCalls: newest first, only the account’s own', async () => {
    const portal = portalStore(testDatabase());
    await withAccounts(portal);
    const calls = [...Array.from({ length: 6 }, (_, i) => call(ALICE.id, i)), call(BOB.id, 6), call(null, 7), call(ALICE.id, 8)];
    for (const c of calls) await portal.recordCall(c);
    const alices = await portal.recentCalls(ALICE.id, 3);
    expect(alices.map((c) => c.endpoint)).toEqual(['/v1/messages/8', '/v1/messages/5', '/v1/messages/4']);
    expect(alices[1]).toEqual({
      id: expect.any(Number),
      method: 'POST',
      endpoint: '/v1/messages/5',
      status: 200,
      error_code: null,
      key_prefix: 'onr_test_abcdefgh',
      key_verified: true,
      duration_ms: 35.25,
      created_at: new Date(T0 + 5000).toISOString(),
    });
    expect((await portal.recentCalls(ALICE.id, 50)).map((c) => c.endpoint)).toHaveLength(7);
    expect((await portal.recentCalls(BOB.id, 50)).map((c) => c.endpoint)).toEqual(['/v1/messages/6']);
    expect(await portal.recentCalls('acct_nobody', 5)).toEqual([]);
  });

  it('messages: create, get and every cursor page; another account sees none', async () => {
    const portal = portalStore(testDatabase());
    await withAccounts(portal);
    const owner = { accountId: ALICE.id, keyId: 'key_alice' };
    const created: Message[] = [];
    for (let i = 0; i < 7; i++) created.push(await portal.createMessage(owner, { to: `+1555000${i}`, body: `hello ${i}` }, T0 + i * 1500));
    expect(created[3]).toEqual({
      id: expect.stringMatching(/^msg_[A-Za-z0-9]{24}$/),
      object: 'message',
      to: '+15550003',
      body: 'hello 3',
      status: 'queued',
      created: Math.floor((T0 + 4500) / 1000),
    });
    await portal.createMessage({ accountId: BOB.id, keyId: 'key_bob' }, { to: '+1', body: 'bob' }, T0);
    expect(await portal.getMessage(ALICE.id, created[3]!.id)).toEqual(created[3]);
    expect(await portal.getMessage(BOB.id, created[3]!.id)).toBeNull();

    let cursor: number | null = null;
    const pages: string[][] = [];
    for (let guard = 0; guard < 10; guard++) {
      const page = await portal.listMessages(ALICE.id, 3, cursor);
      pages.push(page.data.map((m) => m.body));
      expect(page.has_more).toBe(page.next_cursor !== null);
      if (!page.next_cursor) break;
      cursor = decodeCursor(page.next_cursor);
    }
    expect(pages).toEqual([['hello 6', 'hello 5', 'hello 4'], ['hello 3', 'hello 2', 'hello 1'], ['hello 0']]);
    expect((await portal.listMessages(BOB.id, 50, null)).data.map((m) => m.body)).toEqual(['bob']);
  });
});

describe('rate limits', () => {
  const LIMIT: Limit = { max: 3, windowMs: 60_000 };

  it('counts up to the limit, refuses after it, and restarts when the window ends', async () => {
    const portal = portalStore(testDatabase());
    const seen = [];
    for (const now of [T0, T0 + 1, T0 + 10_000, T0 + 59_999, T0 + 60_000, T0 + 60_001, T0 + 119_999, T0 + 120_000]) {
      const { allowed, count, remaining, resetAt, retryAfterSeconds } = await portal.hit('b', LIMIT, now);
      seen.push([allowed, count, remaining, resetAt - T0, retryAfterSeconds]);
    }
    expect(seen).toEqual([
      [true, 1, 2, 60_000, 60],
      [true, 2, 1, 60_000, 60],
      [true, 3, 0, 60_000, 50],
      [false, 4, 0, 60_000, 1],
      [true, 1, 2, 120_000, 60],
      [true, 2, 1, 120_000, 60],
      [true, 3, 0, 120_000, 1],
      [true, 1, 2, 180_000, 60],
    ]);
    expect((await portal.hit('other', LIMIT, T0 + 5_000)).count).toBe(1);
  });

  it('a refused hit is a 429 rate_limited with Retry-After', async () => {
    const portal = portalStore(testDatabase());
    const limit = { max: 1, windowMs: 60_000 };
    throwIfLimited(await portal.hit('x', limit, 0), 'thing');
    const refused = await portal.hit('x', limit, 1_500);
    try {
      throwIfLimited(refused, 'thing', { headers: { 'X-Extra': '1' } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      const e = err as ApiError;
      expect([e.status, e.code, e.extras.headers]).toEqual([429, 'rate_limited', { 'X-Extra': '1', 'Retry-After': '59' }]);
      expect(e.message).toMatch(/^thing: too many requests/);
    }
  });

  it('login failures: a sliding window, locked at the tenth failure, then clear', async () => {
    const { loginFailures } = portalStore(testDatabase());
    const bucket = 'login_fail:abc';
    // Failures 14 minutes apart keep sliding the window: the count never restarts.
    for (let i = 1; i < LOCKOUT.failures; i++) {
      const now = T0 + i * 14 * 60_000;
      expect([await loginFailures.record(bucket, now), await loginFailures.lockedFor(bucket, now)]).toEqual([i, 0]);
    }
    const last = T0 + LOCKOUT.failures * 14 * 60_000;
    expect(await loginFailures.record(bucket, last)).toBe(LOCKOUT.failures);
    expect(await loginFailures.lockedFor(bucket, last)).toBe(LOCKOUT.lockMs / 1000);
    expect(await loginFailures.lockedFor(bucket, last + 14 * 60_000)).toBe(60);
    expect(await loginFailures.lockedFor(bucket, last + LOCKOUT.lockMs)).toBe(0);
    await loginFailures.clear(bucket);
    expect(await loginFailures.lockedFor(bucket, last + 2000)).toBe(0);
    expect(await loginFailures.record(bucket, last + 3000)).toBe(1);
    // Failures further apart than the window never add up.
    for (let i = 0; i < 20; i++) expect(await loginFailures.record('slow', T0 + i * 16 * 60_000)).toBe(1);
  });

  it('a limit is enforced across two instances hitting one bucket concurrently: exactly `max` allowed', async () => {
    const [one, two] = await twoInstances();
    const stores = [portalStore(one), portalStore(two)];
    const limit: Limit = { max: 25, windowMs: 60_000 };
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => stores[i % 2]!.hit('sandbox:key:shared', limit, now + (i % 7))));
    expect(results.filter((r) => r.allowed)).toHaveLength(limit.max);
    expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  });

  it('concurrent first hits on new buckets from two instances all succeed and all count', async () => {
    const [one, two] = await twoInstances();
    const stores = [portalStore(one), portalStore(two)];
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(Array.from({ length: 16 }, (_, i) => stores[i % 2]!.hit(`fresh:${round}`, LIMIT)));
      expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      expect(results.filter((r) => r.allowed)).toHaveLength(LIMIT.max);
    }
  });

  it('the login lockout holds across two instances', async () => {
    const [one, two] = await twoInstances();
    const [a, b] = [portalStore(one).loginFailures, portalStore(two).loginFailures];
    const bucket = `login_fail:${sha256Hex('alice@example.com')}`;
    const now = Date.now();
    await Promise.all(Array.from({ length: LOCKOUT.failures - 1 }, (_, i) => (i % 2 ? a : b).record(bucket, now)));
    expect([await a.lockedFor(bucket, now), await b.lockedFor(bucket, now)]).toEqual([0, 0]);
    expect(await b.record(bucket, now)).toBe(LOCKOUT.failures);
    expect(await a.lockedFor(bucket, now + 1000)).toBe(LOCKOUT.lockMs / 1000 - 1);
    expect(await b.lockedFor(bucket, now + 1000)).toBe(LOCKOUT.lockMs / 1000 - 1);
    await a.clear(bucket);
    expect(await b.lockedFor(bucket, now + 1000)).toBe(0);
  });

  it('expired counters are pruned as hits go by', async () => {
    const database = testDatabase();
    const portal = portalStore(database);
    const now = Date.now();
    await database.run(sql`INSERT INTO rate_limits (bucket, count, reset_at) VALUES ('old', 5, ${now - 1})`);
    for (let i = 0; i < PRUNE_EVERY_HITS; i++) await portal.hit(`live:${i % 3}`, LIMIT, now);
    expect(await database.all(sql`SELECT bucket FROM rate_limits WHERE bucket = 'old'`)).toEqual([]);
    expect(await database.all(sql`SELECT bucket FROM rate_limits`)).toHaveLength(3);
  });
});

/** The session functions behind tiny routes, so they run on a real Hono context with cookies. */
function sessionApp(portal: PortalStore) {
  const app = new Hono<{ Variables: PortalVariables }>();
  app.onError((err, c) => (err instanceof ApiError ? c.json({ code: err.code }, err.status) : c.json({ code: 'bug' }, 500)));
  app.post('/start/:account', async (c) => {
    await portal.startSession(c as Context, c.req.param('account'), undefined, Number(c.req.query('now')));
    return c.body(null, 204);
  });
  app.get('/me', async (c) => c.json({ account: await portal.sessionAccount(c as Context, Number(c.req.query('now'))) }));
  app.post('/end', async (c) => {
    await portal.endSession(c as Context, undefined);
    return c.body(null, 204);
  });
  app.get('/private', requireSession(portal), (c) => c.json({ account: c.get('account').id }));
  return app;
}

/** Drives the session app through a scenario and returns what a browser would see at each step. */
async function sessionScenario(app: ReturnType<typeof sessionApp>, other = app) {
  // `requireSession` reads the real clock, so the scenario starts now.
  const T0 = Date.now();
  const cookieOf = (res: Response) => /onramp_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? null;
  const send = (target: typeof app, path: string, cookie: string | null, method = 'GET') =>
    target.request(path, { method, headers: cookie ? { cookie: `onramp_session=${cookie}` } : {} });
  const me = async (cookie: string | null, now: number, target = other) =>
    ((await (await send(target, `/me?now=${now}`, cookie)).json()) as { account: unknown }).account;
  const steps: unknown[] = [];
  const start = await send(app, `/start/${ALICE.id}?now=${T0}`, null, 'POST');
  const first = cookieOf(start);
  steps.push(start.status, start.headers.get('set-cookie')?.replace(first ?? '', '<id>'));
  steps.push(await me(first, T0 + 1), await me(first, T0 + SESSION_TTL_MS - 1), await me(first, T0 + SESSION_TTL_MS));
  steps.push(await me('junk', T0 + 1), await me(null, T0 + 1), await me('A'.repeat(43), T0 + 1));
  steps.push((await send(other, '/private', first)).status, (await send(other, '/private', null)).status);
  // Logging in again from the same browser replaces its session (fixation defence).
  const second = cookieOf(await send(app, `/start/${BOB.id}?now=${T0 + 10}`, first, 'POST'));
  steps.push(second !== first, await me(first, T0 + 20), await me(second, T0 + 20));
  const end = await send(other, '/end', second, 'POST');
  steps.push(end.status, end.headers.get('set-cookie')?.startsWith('onramp_session=;'), await me(second, T0 + 30, app));
  return steps;
}

// Accounts are created at the fixed T0; sessions run on the real clock.
const alice = { id: ALICE.id, email: ALICE.email, createdAt: ALICE.createdAt };
const bob = { id: BOB.id, email: BOB.email, createdAt: BOB.createdAt };
const EXPECTED_SCENARIO = [
  204,
  `onramp_session=<id>; Max-Age=${SESSION_TTL_MS / 1000}; Path=/; HttpOnly; SameSite=Lax`,
  alice,
  alice,
  null,
  null,
  null,
  null,
  200,
  401,
  true,
  null,
  bob,
  204,
  true,
  null,
];

describe('portal sessions', () => {
  it('start, look up, expire, replace and end', async () => {
    const database = testDatabase();
    const portal = portalStore(database);
    await withAccounts(portal);
    expect(await sessionScenario(sessionApp(portal))).toEqual(EXPECTED_SCENARIO);
    expect(await database.all(sql`SELECT * FROM portal_sessions`)).toEqual([]);
  });

  it('a session started on one instance is valid on the other, and ends on both', async () => {
    const [one, two] = await twoInstances();
    await withAccounts(portalStore(one));
    expect(await sessionScenario(sessionApp(portalStore(one)), sessionApp(portalStore(two)))).toEqual(EXPECTED_SCENARIO);
  });

  it('stores only the sha256 of the session id, and clears expired rows on the next login', async () => {
    const database = testDatabase();
    const portal = portalStore(database);
    await portal.createAccount(ALICE);
    const app = sessionApp(portal);
    const res = await app.request(`/start/${ALICE.id}?now=${T0}`, { method: 'POST' });
    const id = /onramp_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')![1]!;
    const rows = () => database.all(sql`SELECT id_hash, account_id, created_at, expires_at FROM portal_sessions`);
    expect(await rows()).toEqual([{ id_hash: sha256Hex(id), account_id: ALICE.id, created_at: T0, expires_at: T0 + SESSION_TTL_MS }]);
    await app.request(`/start/${ALICE.id}?now=${T0 + SESSION_TTL_MS}`, { method: 'POST' });
    expect((await rows()).map((r) => r.created_at)).toEqual([T0 + SESSION_TTL_MS]);
  });
});

describe('admin session store', () => {
  it('create, check, expire and revoke, across two instances; a new token invalidates every session', async () => {
    const [one, two] = await twoInstances();
    const store = adminSessionStore(one, ADMIN_TOKEN);
    const otherStore = adminSessionStore(two, ADMIN_TOKEN);
    const rotated = adminSessionStore(two, `${ADMIN_TOKEN}-rotated`);

    const session = await store.create(T0);
    expect(session.expiresAt).toBe(T0 + ADMIN_SESSION_TTL_MS);
    expect(await otherStore.isValid(session.id, T0)).toBe(true);
    expect(await otherStore.isValid(session.id, T0 + ADMIN_SESSION_TTL_MS - 1)).toBe(true);
    expect(await otherStore.isValid(session.id, T0 + ADMIN_SESSION_TTL_MS)).toBe(false);
    expect(await rotated.isValid(session.id, T0 + 1)).toBe(false);
    expect(await store.isValid('junk', T0 + 1)).toBe(false);
    const rows = await one.all<{ id_hash: string }>(sql`SELECT id_hash FROM admin_sessions`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id_hash).not.toContain(session.id);

    await otherStore.revoke(session.id);
    expect(await store.isValid(session.id, T0 + 1)).toBe(false);

    // A new login clears sessions that have ended.
    await store.create(T0);
    await store.create(T0 + ADMIN_SESSION_TTL_MS + 1);
    expect(await one.all(sql`SELECT created_at FROM admin_sessions`)).toEqual([{ created_at: T0 + ADMIN_SESSION_TTL_MS + 1 }]);
  });
});
