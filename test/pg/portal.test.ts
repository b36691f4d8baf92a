/**
 * The PostgreSQL portal functions (api/portal/pg/) against a real PostgreSQL: every function gives what its SQLite
 * twin gives for the same calls (ids and secrets aside), accounts stay apart, and the shared state (rate-limit
 * counters, login lockout, sessions) holds across two instances (two pools) on one database.
 */
import { eq } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OnrampDb } from '../../db/client.ts';
import { openPgDb, type OnrampPgDb } from '../../db/client-pg.ts';
import * as pgSchema from '../../db/schema-pg.ts';
import * as sqliteSchema from '../../db/schema.ts';
import { ApiError } from '../../api/errors.ts';
import * as sqliteAccounts from '../../api/portal/accounts.ts';
import * as sqliteCalls from '../../api/portal/calls.ts';
import { sha256Hex } from '../../api/portal/ids.ts';
import * as sqliteKeys from '../../api/portal/keys.ts';
import * as sqliteMessages from '../../api/portal/messages.ts';
import * as sqliteLimits from '../../api/portal/rate-limit.ts';
import { LOCKOUT, PRUNE_EVERY_HITS, type HitResult, type Limit } from '../../api/portal/rate-limit.ts';
import * as sqliteSessions from '../../api/portal/sessions.ts';
import { SESSION_TTL_MS, type SessionAccount } from '../../api/portal/sessions.ts';
import * as pgAccounts from '../../api/portal/pg/accounts.ts';
import { createAdminSessionStore as createPgAdminSessionStore } from '../../api/portal/pg/admin-sessions.ts';
import * as pgCalls from '../../api/portal/pg/calls.ts';
import * as pgKeys from '../../api/portal/pg/keys.ts';
import * as pgMessages from '../../api/portal/pg/messages.ts';
import * as pgLimits from '../../api/portal/pg/rate-limit.ts';
import * as pgSessions from '../../api/portal/pg/sessions.ts';
import { ADMIN_SESSION_TTL_MS, createSqliteAdminSessionStore as createAdminSessionStore } from '../../api/routes/admin-session.ts';
import { testDb } from '../support/app.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';

let postgres: TestPostgres;
const opened: Array<{ close: () => unknown }> = [];

beforeAll(async () => {
  postgres = await startPostgres();
});

afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
});

afterAll(async () => {
  await postgres?.stop();
});

/** A fresh PostgreSQL database (pool) and a fresh SQLite one. */
async function freshPair(): Promise<{ pg: OnrampPgDb; lite: OnrampDb; url: string }> {
  const url = await postgres.createDatabase();
  const pg = await openPgDb(url);
  const lite = testDb();
  opened.push(pg, { close: () => lite.$client.close() });
  return { pg, lite, url };
}

/** A second instance on the same database: its own pool, as a second Onramp process would have. */
async function anotherInstance(url: string): Promise<OnrampPgDb> {
  const db = await openPgDb(url);
  opened.push(db);
  return db;
}

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const ALICE = { id: 'acct_alice', email: 'alice@example.com', passwordHash: 'scrypt$alice', createdAt: T0 };
const BOB = { id: 'acct_bob', email: 'bob@example.com', passwordHash: 'scrypt$bob', createdAt: T0 + 1 };

async function withAccounts(pair: { pg: OnrampPgDb; lite: OnrampDb }) {
  for (const account of [ALICE, BOB]) {
    expect(sqliteAccounts.createAccount(pair.lite, account)).toBe('created');
    expect(await pgAccounts.createAccount(pair.pg, account)).toBe('created');
  }
}

/** A key view without what is random per key. */
const keyShape = ({ id, prefix, ...rest }: sqliteKeys.KeyView) => ({ ...rest, id: id.replace(/^key_[A-Za-z0-9]{16}$/, 'key_*'), prefix: prefix.slice(0, 9) });
/** A key check without what is random per key. */
const checkShape = (check: sqliteKeys.KeyCheck) => ({
  ...check,
  ...('keyId' in check ? { keyId: 'key_*' } : {}),
  prefix: check.prefix === null ? null : check.prefix.slice(0, 9),
});

describe('accounts and support tickets', () => {
  it('find, create and the duplicate email answer like SQLite', async () => {
    const pair = await freshPair();
    await withAccounts(pair);
    expect(await pgAccounts.findAccountByEmail(pair.pg, ALICE.email)).toEqual(sqliteAccounts.findAccountByEmail(pair.lite, ALICE.email));
    expect(await pgAccounts.findAccountByEmail(pair.pg, ALICE.email)).toEqual(ALICE);
    expect(await pgAccounts.findAccountByEmail(pair.pg, 'nobody@example.com')).toBeNull();
    expect(sqliteAccounts.findAccountByEmail(pair.lite, 'nobody@example.com')).toBeNull();

    const again = { ...ALICE, id: 'acct_alice2' };
    expect(await pgAccounts.createAccount(pair.pg, again)).toBe('email_taken');
    expect(sqliteAccounts.createAccount(pair.lite, again)).toBe('email_taken');
    // An account id clash (random 20-character ids: never in practice) is an error here, not an email answer.
    await expect(pgAccounts.createAccount(pair.pg, { ...ALICE, email: 'other@example.com' })).rejects.toThrow();
  });

  it('concurrent signups for one email across two instances create exactly one account', async () => {
    const { pg, url } = await freshPair();
    const other = await anotherInstance(url);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => pgAccounts.createAccount(i % 2 ? pg : other, { ...ALICE, id: `acct_racer${i}` })),
    );
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
    const { rows } = await pg.$client.query<{ n: number }>('SELECT count(*)::int AS n FROM accounts');
    expect(rows[0]!.n).toBe(1);
  });

  it('stores a support ticket as SQLite does', async () => {
    const pair = await freshPair();
    await withAccounts(pair);
    const ticket = { id: 'tkt_1', accountId: ALICE.id, topic: 'api_keys', path: '/support/', message: 'help', createdAt: T0 };
    sqliteAccounts.createSupportTicket(pair.lite, ticket);
    await pgAccounts.createSupportTicket(pair.pg, ticket);
    expect(await pair.pg.select().from(pgSchema.supportTickets)).toEqual(pair.lite.select().from(sqliteSchema.supportTickets).all());
  });
});

describe('API keys', () => {
  it('create, list, check, touch and revoke answer like SQLite', async () => {
    const pair = await freshPair();
    await withAccounts(pair);
    const lite1 = sqliteKeys.createKey(pair.lite, ALICE.id, 'first', T0);
    const lite2 = sqliteKeys.createKey(pair.lite, ALICE.id, 'second', T0 + 1000);
    const pg1 = await pgKeys.createKey(pair.pg, ALICE.id, 'first', T0);
    const pg2 = await pgKeys.createKey(pair.pg, ALICE.id, 'second', T0 + 1000);
    expect(keyShape(pg1.key)).toEqual(keyShape(lite1.key));
    expect(pg1.secret).toMatch(/^onr_test_[A-Za-z0-9]{40}$/);
    expect(pg1.secret.startsWith(pg1.key.prefix)).toBe(true);
    expect((await pgKeys.listKeys(pair.pg, ALICE.id)).map(keyShape)).toEqual(sqliteKeys.listKeys(pair.lite, ALICE.id).map(keyShape));
    expect((await pgKeys.listKeys(pair.pg, ALICE.id)).map((k) => k.id)).toEqual([pg2.key.id, pg1.key.id]);

    const presented = (secret: string) => [secret, `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`, secret.slice(0, 20), 'onr_live_abc', 'nonsense', ''];
    for (const [liteKey, pgKey] of [[lite1, pg1], [lite2, pg2]] as const) {
      const liteChecks = presented(liteKey.secret).map((p) => checkShape(sqliteKeys.checkKey(pair.lite, p)));
      const pgChecks = await Promise.all(presented(pgKey.secret).map(async (p) => checkShape(await pgKeys.checkKey(pair.pg, p))));
      expect(pgChecks).toEqual(liteChecks);
    }
    expect(await pgKeys.checkKey(pair.pg, pg1.secret)).toEqual({ status: 'ok', keyId: pg1.key.id, accountId: ALICE.id, prefix: pg1.key.prefix });

    sqliteKeys.touchKey(pair.lite, lite1.key.id, T0 + 5000);
    await pgKeys.touchKey(pair.pg, pg1.key.id, T0 + 5000);
    const revokeLite = sqliteKeys.revokeKey(pair.lite, ALICE.id, lite1.key.id, T0 + 9000);
    const revokePg = await pgKeys.revokeKey(pair.pg, ALICE.id, pg1.key.id, T0 + 9000);
    expect(revokePg && { ...revokePg, key: keyShape(revokePg.key) }).toEqual(revokeLite && { ...revokeLite, key: keyShape(revokeLite.key) });
    expect(revokePg?.key).toMatchObject({ status: 'revoked', last_used_at: new Date(T0 + 5000).toISOString(), revoked_at: new Date(T0 + 9000).toISOString() });
    const againPg = await pgKeys.revokeKey(pair.pg, ALICE.id, pg1.key.id, T0 + 20_000);
    expect(againPg).toEqual({ key: revokePg!.key, changed: false });
    expect(sqliteKeys.revokeKey(pair.lite, ALICE.id, lite1.key.id, T0 + 20_000)?.changed).toBe(false);
    expect(checkShape(await pgKeys.checkKey(pair.pg, pg1.secret))).toEqual(checkShape(sqliteKeys.checkKey(pair.lite, lite1.secret)));
    expect(await pgKeys.checkKey(pair.pg, pg1.secret)).toMatchObject({ status: 'revoked', revokedAt: T0 + 9000 });
  });

  it('stores only the sha256 and the public prefix of a key', async () => {
    const { pg } = await freshPair();
    await pgAccounts.createAccount(pg, ALICE);
    const { key, secret } = await pgKeys.createKey(pg, ALICE.id, 'mine', T0);
    const { rows } = await pg.$client.query('SELECT * FROM api_keys');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ prefix: key.prefix, key_hash: sha256Hex(secret) });
    expect(JSON.stringify(rows)).not.toContain(secret.slice(key.prefix.length));
  });

  it('one account cannot list, revoke or see the owner of another account’s keys', async () => {
    const { pg } = await freshPair();
    for (const account of [ALICE, BOB]) await pgAccounts.createAccount(pg, account);
    const alices = await pgKeys.createKey(pg, ALICE.id, 'alice key', T0);
    expect(await pgKeys.listKeys(pg, BOB.id)).toEqual([]);
    expect(await pgKeys.revokeKey(pg, BOB.id, alices.key.id, T0 + 1)).toBeNull();
    expect(await pgKeys.revokeKey(pg, BOB.id, 'key_doesnotexist00', T0 + 1)).toBeNull();
    expect((await pgKeys.listKeys(pg, ALICE.id))[0]?.status).toBe('active');
  });
});

describe('sandbox calls and messages', () => {
  const call = (accountId: string | null, i: number): sqliteCalls.CallRecord => ({
    accountId,
    keyPrefix: accountId ? 'onr_test_abcdefgh' : null,
    method: i % 2 ? 'POST' : 'GET',
    endpoint: `/v1/messages/${i}`,
    status: i % 3 ? 200 : 429,
    errorCode: i % 3 ? null : 'rate_limited',
    durationMs: i * 7,
    createdAt: T0 + i * 1000,
  });

  it('recentCalls gives what SQLite gives, newest first, only the account’s own', async () => {
    const pair = await freshPair();
    await withAccounts(pair);
    const calls = [...Array.from({ length: 6 }, (_, i) => call(ALICE.id, i)), call(BOB.id, 6), call(null, 7), call(ALICE.id, 8)];
    for (const c of calls) {
      sqliteCalls.recordCall(pair.lite, c);
      await pgCalls.recordCall(pair.pg, c);
    }
    for (const [account, limit] of [[ALICE.id, 3], [ALICE.id, 50], [BOB.id, 50], ['acct_nobody', 5]] as const) {
      expect(await pgCalls.recentCalls(pair.pg, account, limit)).toEqual(sqliteCalls.recentCalls(pair.lite, account, limit));
    }
    const bobs = await pgCalls.recentCalls(pair.pg, BOB.id, 50);
    expect(bobs.map((c) => c.endpoint)).toEqual(['/v1/messages/6']);
    expect((await pgCalls.recentCalls(pair.pg, ALICE.id, 3)).map((c) => c.endpoint)).toEqual(['/v1/messages/8', '/v1/messages/5', '/v1/messages/4']);
  });

  it('messages: create, get and every cursor page match SQLite; another account sees none', async () => {
    const pair = await freshPair();
    await withAccounts(pair);
    const owner = { accountId: ALICE.id, keyId: 'key_alice' };
    const stripId = (m: sqliteMessages.Message) => ({ ...m, id: m.id.replace(/^msg_[A-Za-z0-9]{24}$/, 'msg_*') });
    const liteIds: string[] = [];
    const pgIds: string[] = [];
    for (let i = 0; i < 7; i++) {
      const input = { to: `+1555000${i}`, body: `hello ${i}` };
      const lite = sqliteMessages.createMessage(pair.lite, owner, input, T0 + i * 1500);
      const pgMessage = await pgMessages.createMessage(pair.pg, owner, input, T0 + i * 1500);
      expect(stripId(pgMessage)).toEqual(stripId(lite));
      liteIds.push(lite.id);
      pgIds.push(pgMessage.id);
    }
    await pgMessages.createMessage(pair.pg, { accountId: BOB.id, keyId: 'key_bob' }, { to: '+1', body: 'bob' }, T0);
    sqliteMessages.createMessage(pair.lite, { accountId: BOB.id, keyId: 'key_bob' }, { to: '+1', body: 'bob' }, T0);

    expect(await pgMessages.getMessage(pair.pg, ALICE.id, pgIds[3]!)).toMatchObject({ id: pgIds[3], body: 'hello 3', status: 'queued', created: Math.floor((T0 + 4500) / 1000) });
    expect(await pgMessages.getMessage(pair.pg, BOB.id, pgIds[3]!)).toBeNull();
    expect(sqliteMessages.getMessage(pair.lite, BOB.id, liteIds[3]!)).toBeNull();

    let liteCursor: number | null = null;
    let pgCursor: number | null = null;
    const pages: string[][] = [];
    for (let guard = 0; guard < 10; guard++) {
      const lite = sqliteMessages.listMessages(pair.lite, ALICE.id, 3, liteCursor);
      const pgPage = await pgMessages.listMessages(pair.pg, ALICE.id, 3, pgCursor);
      expect({ ...pgPage, data: pgPage.data.map(stripId) }).toEqual({ ...lite, data: lite.data.map(stripId) });
      pages.push(pgPage.data.map((m) => m.body));
      if (!pgPage.next_cursor) break;
      liteCursor = sqliteMessages.decodeCursor(lite.next_cursor!);
      pgCursor = sqliteMessages.decodeCursor(pgPage.next_cursor);
    }
    expect(pages).toEqual([['hello 6', 'hello 5', 'hello 4'], ['hello 3', 'hello 2', 'hello 1'], ['hello 0']]);
    const bobsPage = await pgMessages.listMessages(pair.pg, BOB.id, 50, null);
    expect(bobsPage.data.map((m) => m.body)).toEqual(['bob']);
  });
});

describe('rate limits', () => {
  const LIMIT: Limit = { max: 3, windowMs: 60_000 };

  it('hit and enforce give the same results as SQLite through windows that end', async () => {
    const pair = await freshPair();
    const times = [T0, T0 + 1, T0 + 10_000, T0 + 59_999, T0 + 60_000, T0 + 60_001, T0 + 70_000, T0 + 119_999, T0 + 500_000];
    for (const now of times) {
      const lite = sqliteLimits.hit(pair.lite, 'b:hit', LIMIT, now);
      const pgResult = await pgLimits.hit(pair.pg, 'b:hit', LIMIT, now);
      expect(pgResult).toEqual(lite);
    }
    const outcome = async (run: () => HitResult | Promise<HitResult>) => {
      try {
        return { ok: await run() };
      } catch (err) {
        const e = err as ApiError;
        return { status: e.status, code: e.code, message: e.message, extras: e.extras };
      }
    };
    for (let i = 0; i < 5; i++) {
      const now = T0 + i * 1000;
      const lite = await outcome(() => sqliteLimits.enforce(pair.lite, 'b:enforce', LIMIT, 'signup', now, { headers: { 'X-Extra': '1' } }));
      const pgResult = await outcome(() => pgLimits.enforce(pair.pg, 'b:enforce', LIMIT, 'signup', now, { headers: { 'X-Extra': '1' } }));
      expect(pgResult).toEqual(lite);
      if (i >= 3) expect(pgResult).toMatchObject({ status: 429, code: 'rate_limited', extras: { headers: { 'Retry-After': String(60 - i), 'X-Extra': '1' } } });
    }
  });

  it('login failures: record, lockout and clear match SQLite, with the sliding window', async () => {
    const pair = await freshPair();
    const bucket = 'login_fail:abc';
    const step = async (now: number) => {
      const lite = { count: sqliteLimits.loginFailures.record(pair.lite, bucket, now), locked: sqliteLimits.loginFailures.lockedFor(pair.lite, bucket, now) };
      const pgStep = { count: await pgLimits.loginFailures.record(pair.pg, bucket, now), locked: await pgLimits.loginFailures.lockedFor(pair.pg, bucket, now) };
      expect(pgStep).toEqual(lite);
      return pgStep;
    };
    // Failures 14 minutes apart keep sliding the window: the count never restarts.
    for (let i = 1; i < LOCKOUT.failures; i++) expect(await step(T0 + i * 14 * 60_000)).toEqual({ count: i, locked: 0 });
    const last = T0 + LOCKOUT.failures * 14 * 60_000;
    expect(await step(last)).toEqual({ count: LOCKOUT.failures, locked: LOCKOUT.lockMs / 1000 });
    for (const now of [last + 1000, last + LOCKOUT.lockMs - 1, last + LOCKOUT.lockMs]) {
      expect(await pgLimits.loginFailures.lockedFor(pair.pg, bucket, now)).toBe(sqliteLimits.loginFailures.lockedFor(pair.lite, bucket, now));
    }
    expect(await pgLimits.loginFailures.lockedFor(pair.pg, bucket, last + LOCKOUT.lockMs)).toBe(0);
    await pgLimits.loginFailures.clear(pair.pg, bucket);
    sqliteLimits.loginFailures.clear(pair.lite, bucket);
    expect(await pgLimits.loginFailures.lockedFor(pair.pg, bucket, last + 2000)).toBe(0);
    expect(await step(last + 3000)).toEqual({ count: 1, locked: 0 });
  });

  it('a limit is enforced across two instances hitting one bucket concurrently: exactly `max` allowed', async () => {
    const { pg, url } = await freshPair();
    const other = await anotherInstance(url);
    const limit: Limit = { max: 25, windowMs: 60_000 };
    const now = Date.now();
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) => pgLimits.hit(i % 2 ? pg : other, 'sandbox:key:shared', limit, now + (i % 7))),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(limit.max);
    expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));

    const enforced = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => pgLimits.enforce(i % 2 ? pg : other, 'support:account:x', { max: 10, windowMs: 3_600_000 }, 'support')),
    );
    expect(enforced.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    const rejected = enforced.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(30);
    for (const r of rejected) expect(r.reason).toBeInstanceOf(ApiError);
  });

  it('concurrent first hits on new buckets from two instances all succeed and all count', async () => {
    const { pg, url } = await freshPair();
    const other = await anotherInstance(url);
    for (let round = 0; round < 10; round++) {
      const bucket = `fresh:${round}`;
      const results = await Promise.all(Array.from({ length: 16 }, (_, i) => pgLimits.hit(i % 2 ? pg : other, bucket, LIMIT)));
      expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      expect(results.filter((r) => r.allowed)).toHaveLength(LIMIT.max);
    }
  });

  it('the login lockout holds across two instances', async () => {
    const { pg, url } = await freshPair();
    const other = await anotherInstance(url);
    const bucket = `login_fail:${sha256Hex('alice@example.com')}`;
    const now = Date.now();
    await Promise.all(Array.from({ length: LOCKOUT.failures - 1 }, (_, i) => pgLimits.loginFailures.record(i % 2 ? pg : other, bucket, now)));
    expect(await pgLimits.loginFailures.lockedFor(pg, bucket, now)).toBe(0);
    expect(await pgLimits.loginFailures.lockedFor(other, bucket, now)).toBe(0);
    expect(await pgLimits.loginFailures.record(other, bucket, now)).toBe(LOCKOUT.failures);
    expect(await pgLimits.loginFailures.lockedFor(pg, bucket, now + 1000)).toBe(LOCKOUT.lockMs / 1000 - 1);
    expect(await pgLimits.loginFailures.lockedFor(other, bucket, now + 1000)).toBe(LOCKOUT.lockMs / 1000 - 1);
    await pgLimits.loginFailures.clear(pg, bucket);
    expect(await pgLimits.loginFailures.lockedFor(other, bucket, now + 1000)).toBe(0);
  });

  it('expired counters are pruned as hits go by', async () => {
    const { pg } = await freshPair();
    const now = Date.now();
    await pg.insert(pgSchema.rateLimits).values({ bucket: 'old', count: 5, resetAt: now - 1 });
    for (let i = 0; i < PRUNE_EVERY_HITS; i++) await pgLimits.hit(pg, `live:${i % 3}`, LIMIT, now);
    expect(await pg.select().from(pgSchema.rateLimits).where(eq(pgSchema.rateLimits.bucket, 'old'))).toEqual([]);
    expect(await pg.select().from(pgSchema.rateLimits)).toHaveLength(3);
  });
});

/** The session functions of one dialect, behind tiny routes, so they run on a real Hono context with cookies. */
interface SessionFns {
  start: (c: Context, accountId: string, now: number) => void | Promise<void>;
  account: (c: Context, now: number) => SessionAccount | null | Promise<SessionAccount | null>;
  end: (c: Context) => void | Promise<void>;
  guard: Parameters<Hono['use']>[1];
}

function sessionApp(fns: SessionFns) {
  const app = new Hono<{ Variables: sqliteSessions.PortalVariables }>();
  app.onError((err, c) => (err instanceof ApiError ? c.json({ code: err.code }, err.status) : c.json({ code: 'bug' }, 500)));
  app.post('/start/:account', async (c) => {
    await fns.start(c, c.req.param('account'), Number(c.req.query('now')));
    return c.body(null, 204);
  });
  app.get('/me', async (c) => c.json({ account: await fns.account(c, Number(c.req.query('now'))) }));
  app.post('/end', async (c) => {
    await fns.end(c);
    return c.body(null, 204);
  });
  app.get('/private', fns.guard, (c) => c.json({ account: c.get('account').id }));
  return app;
}

const liteSessionFns = (db: OnrampDb): SessionFns => ({
  start: (c, accountId, now) => sqliteSessions.startSession(c, db, accountId, undefined, now),
  account: (c, now) => sqliteSessions.sessionAccount(c, db, now),
  end: (c) => sqliteSessions.endSession(c, db, undefined),
  guard: sqliteSessions.requireSession({ sessionAccount: async (c) => sqliteSessions.sessionAccount(c, db) }) as SessionFns['guard'],
});
const pgSessionFns = (db: OnrampPgDb): SessionFns => ({
  start: (c, accountId, now) => pgSessions.startSession(c, db, accountId, undefined, now),
  account: (c, now) => pgSessions.sessionAccount(c, db, now),
  end: (c) => pgSessions.endSession(c, db, undefined),
  guard: sqliteSessions.requireSession({ sessionAccount: (c) => pgSessions.sessionAccount(c, db) }) as SessionFns['guard'],
});

/** Drives one dialect's session app through a scenario and returns what a browser would see at each step. */
async function sessionScenario(app: ReturnType<typeof sessionApp>, other = app) {
  const cookieOf = (res: Response) => /onramp_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? null;
  const send = (target: typeof app, path: string, cookie: string | null, method = 'GET') =>
    target.request(path, { method, headers: cookie ? { cookie: `onramp_session=${cookie}` } : {} });
  const me = async (cookie: string | null, now: number, target = other) => ((await (await send(target, `/me?now=${now}`, cookie)).json()) as { account: unknown }).account;
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

describe('portal sessions', () => {
  it('start, look up, expire, replace and end behave as in SQLite', async () => {
    const pair = await freshPair();
    await withAccounts(pair);
    const lite = await sessionScenario(sessionApp(liteSessionFns(pair.lite)));
    const pgSteps = await sessionScenario(sessionApp(pgSessionFns(pair.pg)));
    expect(pgSteps).toEqual(lite);
    const alice = { id: ALICE.id, email: ALICE.email, createdAt: ALICE.createdAt };
    expect(pgSteps.slice(2, 5)).toEqual([alice, alice, null]);
    const { rows } = await pair.pg.$client.query('SELECT * FROM portal_sessions');
    expect(rows).toEqual([]);
  });

  it('a session started on one instance is valid on the other, and ends on both', async () => {
    const pair = await freshPair();
    await withAccounts(pair);
    const other = await anotherInstance(pair.url);
    const lite = await sessionScenario(sessionApp(liteSessionFns(pair.lite)));
    expect(await sessionScenario(sessionApp(pgSessionFns(pair.pg)), sessionApp(pgSessionFns(other)))).toEqual(lite);
  });

  it('stores only the sha256 of the session id, and clears expired rows on the next login', async () => {
    const { pg } = await freshPair();
    await pgAccounts.createAccount(pg, ALICE);
    const app = sessionApp(pgSessionFns(pg));
    const res = await app.request(`/start/${ALICE.id}?now=${T0}`, { method: 'POST' });
    const id = /onramp_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')![1]!;
    expect(await pg.select().from(pgSchema.portalSessions)).toEqual([{ idHash: sha256Hex(id), accountId: ALICE.id, createdAt: T0, expiresAt: T0 + SESSION_TTL_MS }]);
    await app.request(`/start/${ALICE.id}?now=${T0 + SESSION_TTL_MS}`, { method: 'POST' });
    const rows = await pg.select().from(pgSchema.portalSessions);
    expect(rows.map((r) => r.createdAt)).toEqual([T0 + SESSION_TTL_MS]);
  });
});

describe('admin session store', () => {
  it('create, check, expire and revoke behave as the SQLite store, across two instances', async () => {
    const pair = await freshPair();
    const other = await anotherInstance(pair.url);
    const token = 'onr_admin_test_token_0123456789';
    const lite = createAdminSessionStore(pair.lite, token);
    const pgStore = createPgAdminSessionStore(pair.pg, token);
    const otherStore = createPgAdminSessionStore(other, token);
    const rotated = createPgAdminSessionStore(other, `${token}-rotated`);

    const liteSession = await lite.create(T0);
    const pgSession = await pgStore.create(T0);
    expect(pgSession.expiresAt).toBe(liteSession.expiresAt);
    expect(pgSession.expiresAt).toBe(T0 + ADMIN_SESSION_TTL_MS);
    for (const now of [T0, T0 + ADMIN_SESSION_TTL_MS - 1, T0 + ADMIN_SESSION_TTL_MS]) {
      expect(await otherStore.isValid(pgSession.id, now)).toBe(await lite.isValid(liteSession.id, now));
    }
    expect(await otherStore.isValid(pgSession.id, T0 + 1)).toBe(true);
    expect(await rotated.isValid(pgSession.id, T0 + 1)).toBe(false);
    expect(await pgStore.isValid('junk', T0 + 1)).toBe(await lite.isValid('junk', T0 + 1));
    const { rows } = await pair.pg.$client.query('SELECT id_hash FROM admin_sessions');
    expect(rows).toHaveLength(1);
    expect(rows[0].id_hash).not.toContain(pgSession.id);

    await otherStore.revoke(pgSession.id);
    await lite.revoke(liteSession.id);
    expect(await pgStore.isValid(pgSession.id, T0 + 1)).toBe(await lite.isValid(liteSession.id, T0 + 1));
    expect(await pgStore.isValid(pgSession.id, T0 + 1)).toBe(false);

    // A new login clears sessions that have ended.
    await pgStore.create(T0);
    await pgStore.create(T0 + ADMIN_SESSION_TTL_MS + 1);
    const after = await pair.pg.select().from(pgSchema.adminSessions);
    expect(after.map((r) => r.createdAt)).toEqual([T0 + ADMIN_SESSION_TTL_MS + 1]);
  });
});
