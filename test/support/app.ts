import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mergePath } from 'hono/utils/url';
import { type AppDeps, appListener, createApp, type OnrampApp } from '../../api/app.ts';
import { acceptedReply, errorReply } from '../../api/ingest/capture-core.ts';
import { captureRoute } from '../../api/ingest/capture-http.ts';
import { pgStorage } from '../../api/storage/postgres.ts';
import type { SqlDatabase } from '../../api/storage/sql/interface.ts';
import { postgresDatabase } from '../../api/storage/sql/postgres.ts';
import { sqliteDatabase } from '../../api/storage/sql/sqlite.ts';
import { type OnrampDb, openDb } from '../../db/client.ts';
import type { OnrampPgDb } from '../../db/client-pg.ts';
import { afterThisTest, freshPgDb, ON_POSTGRES } from './pg-test-db.ts';

export const PROJECT_TOKEN = 'phc_test_token';
export const ADMIN_TOKEN = 'onr_admin_test_token_0123456789_abcdef';
/** The test apps' ONRAMP_SERVER_TOKEN: server-defined events (signed_up, api_call, ...) are captured with it. */
export const SERVER_TOKEN = 'onr_server_test_token_0123456789';

/** A fresh `:memory:` database, migrated from db/schema/sqlite-migrations. */
export function testDb(): OnrampDb {
  return openDb(':memory:');
}

const PG_DB = Symbol('onramp.test.pg');

/**
 * In the `postgres` project the `db` a test gets stands for its PostgreSQL database: dialect-aware helpers
 * (`ingest`, `testApp({ db })`) find it with {@link pgDbOf}; anything that would read SQLite directly fails loudly
 * instead of testing the wrong database.
 */
function pgStandIn(pg: OnrampPgDb): OnrampDb {
  return new Proxy({} as OnrampDb, {
    get(_target, property) {
      if (property === PG_DB) return pg;
      if (property === 'then') return undefined;
      throw new Error(`db.${String(property)}: this test reads SQLite directly, so it cannot run in the postgres project`);
    },
  });
}

/** The PostgreSQL database a `db` from {@link testApp} stands for in the `postgres` project, else undefined. */
export function pgDbOf(db: OnrampDb): OnrampPgDb | undefined {
  return (db as unknown as Record<symbol, OnrampPgDb | undefined>)[PG_DB];
}

/**
 * The real app over a fresh database: `:memory:` SQLite, or (in the `postgres` project) a fresh PostgreSQL database
 * copied from the migrated template. `testApp({ db })` runs a second app on the same database, as a second
 * instance would.
 */
export function testApp(overrides: Partial<AppDeps> = {}) {
  const env = { ONRAMP_PROJECT_TOKEN: PROJECT_TOKEN, ONRAMP_ADMIN_TOKEN: ADMIN_TOKEN, ONRAMP_SERVER_TOKEN: SERVER_TOKEN };
  if (ON_POSTGRES && !overrides.storage) {
    const pg = (overrides.db && pgDbOf(overrides.db)) ?? freshPgDb();
    const { db: _sqlite, ...rest } = overrides;
    const app = withCaptureOverHttp(createApp({ storage: pgStorage(pg), env, ...rest }));
    afterThisTest(async () => {
      await app.telemetry.shutdown(1000).catch(() => undefined);
      await app.writer.close();
    });
    return { app, db: pgStandIn(pg) };
  }
  const db = overrides.db ?? testDb();
  const app = withCaptureOverHttp(createApp({ db, env, ...overrides }));
  return { app, db };
}

/**
 * A capture POST handed straight to the app's capture core, with the reply capture-http.ts would send, as a
 * Response: for tests about the writer (group commit, queue bound, idle apply) that need requests to arrive in one
 * event-loop turn, or no socket latency before an assertion about what is not applied yet.
 */
export async function captureInProcess(app: OnrampApp, search: string, init: { headers?: Record<string, string>; body: string | Uint8Array }) {
  const headers = new Map(Object.entries(init.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const query = new URLSearchParams(search);
  const head = { header: (name: string) => headers.get(name), query: (name: string) => query.get(name) ?? undefined };
  const body = typeof init.body === 'string' ? Buffer.from(init.body) : init.body;
  const origin = headers.get('origin');
  const reply = await app.capture
    .capture(head, async () => body)
    .then(
      () => acceptedReply(origin),
      (err: unknown) => errorReply(err, origin),
    );
  return new Response(reply.body, { status: reply.status, headers: reply.headers });
}

/** Whether a request to `url` goes to the capture surface (api/ingest/capture-http.ts) rather than to Hono. */
function isCaptureSurface(url: URL): boolean {
  const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  return captureRoute(path) !== undefined;
}

/**
 * Hono routes no capture path, so `app.request()` sends capture-surface requests through the app's real node:http
 * listener ({@link appListener}) on a loopback port, opened on first use and closed after the test (or file);
 * every other request still goes to Hono in memory.
 */
function withCaptureOverHttp(app: OnrampApp): OnrampApp {
  const inMemory = app.request.bind(app);
  let origin: Promise<string> | undefined;
  const server = createServer({ requireHostHeader: false }, appListener(app));
  // Longer than the client agent's idle-socket timeout (5 s in Node 20's global agent), so an idle keep-alive
  // connection is always closed by the client: were both 5 s, a request reusing it as the server closes it would
  // fail with ECONNRESET when tests pause about that long between capture requests.
  server.keepAliveTimeout = 60_000;
  if (ON_POSTGRES) {
    afterThisTest(async () => {
      server.closeAllConnections();
      if (server.listening) await new Promise((done) => server.close(done));
    });
  } else {
    // Nothing to drop on SQLite: the listener and its connections just never keep the test process alive.
    server.on('connection', (socket) => socket.unref());
    server.unref();
  }
  const listen = () =>
    new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
  const overHttp = async (url: URL, input: RequestInfo | URL, init: RequestInit | undefined): Promise<Response> => {
    const base = await (origin ??= listen());
    const target = `${base}${url.pathname}${url.search}`;
    // A streamed body is streamed (fetch); any other is sent whole with node:http, which keeps writing a body the
    // server has already answered (a 413), where fetch would reset the connection.
    if (init?.body instanceof ReadableStream) return fetch(target, { ...init, duplex: 'half' } as RequestInit);
    const request = input instanceof Request ? new Request(target, new Request(input, init)) : new Request(target, init);
    const body = Buffer.from(await request.arrayBuffer());
    const headers: Record<string, string | number> = Object.fromEntries(request.headers);
    if (body.length > 0 || !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) headers['content-length'] = body.length;
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(target, { method: request.method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const replyHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers))
            if (value !== undefined) replyHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
          const status = res.statusCode!;
          const empty = status === 204 || status === 304 || request.method === 'HEAD';
          resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers: replyHeaders }));
        });
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  };
  app.request = ((input: RequestInfo | URL, init?: RequestInit, ...rest: unknown[]) => {
    const text = input instanceof Request ? input.url : input.toString();
    // Resolved as Hono's app.request() resolves it.
    const url = new URL(/^https?:\/\//.test(text) ? text : `http://localhost${mergePath('/', text)}`);
    if (!isCaptureSurface(url)) return (inMemory as (...args: unknown[]) => Response | Promise<Response>)(input, init, ...rest);
    return overHttp(url, input, init);
  }) as OnrampApp['request'];
  return app;
}

export const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Fetches `/api/v1/events` as the admin and returns the list. */
export async function listEvents(app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }, query = '') {
  const res = await app.request(`/api/v1/events?limit=1000${query ? `&${query}` : ''}`, { headers: adminHeaders });
  if (res.status !== 200) throw new Error(`events: ${res.status} ${await res.text()}`);
  return (
    (await res.json()) as {
      events: Array<{ uuid: string; event: string; distinctId: string; personId: string; timestamp: string; properties: Record<string, unknown> }>;
    }
  ).events;
}

/**
 * Rows of a portable SQL query (`?` placeholders) on the database `db` stands for, SQLite or PostgreSQL: for
 * assertions about what is stored. PostgreSQL returns BIGINT columns as strings.
 */
export async function storedRows<T = Record<string, unknown>>(db: OnrampDb, text: string, ...params: unknown[]): Promise<T[]> {
  const pg = pgDbOf(db);
  if (!pg) return db.$client.prepare(text).all(...params) as T[];
  let index = 0;
  const { rows } = await pg.$client.query(
    text.replace(/\?/g, () => `$${++index}`),
    params,
  );
  return rows as T[];
}

/** Names of the tables the migrations made (drizzle's own bookkeeping excluded). */
export async function tableNames(db: OnrampDb): Promise<string[]> {
  const rows = pgDbOf(db)
    ? await storedRows<{ name: string }>(db, "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'")
    : await storedRows<{ name: string }>(db, "SELECT name FROM sqlite_master WHERE type = 'table'");
  return rows.map((r) => r.name).filter((name) => !name.startsWith('__drizzle'));
}

/**
 * Empties events and persons (not accounts or sessions), for a property test that reuses one database across runs.
 * The per-person state goes too, with a change-feed row (-1) that makes every in-memory copy of it reload.
 */
export async function deleteAllEvents(db: OnrampDb): Promise<void> {
  const statements =
    'DELETE FROM events; DELETE FROM person_distinct_ids; DELETE FROM persons; DELETE FROM api_call_rollups; DELETE FROM api_call_totals; DELETE FROM person_call_facts; DELETE FROM first_call_failures; DELETE FROM person_milestones; DELETE FROM person_page_views; DELETE FROM person_last_pages; INSERT INTO person_state_changes (person_id) VALUES (-1);';
  const pg = pgDbOf(db);
  if (pg) await pg.$client.query(statements);
  else db.$client.exec(statements);
}

/**
 * A fresh migrated {@link SqlDatabase}: `:memory:` SQLite, or in the `postgres` project a fresh PostgreSQL database
 * (dropped after the test). Storage modules written once are tested through it on both dialects.
 */
export function testDatabase(): SqlDatabase {
  if (ON_POSTGRES) return postgresDatabase(freshPgDb().$client);
  return sqliteDatabase(testDb().$client);
}
