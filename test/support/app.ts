import { type AppDeps, createApp } from '../../api/app.ts';
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
    const app = createApp({ storage: pgStorage(pg), env, ...rest });
    afterThisTest(async () => {
      await app.telemetry.shutdown(1000).catch(() => undefined);
      await app.writer.close();
    });
    return { app, db: pgStandIn(pg) };
  }
  const db = overrides.db ?? testDb();
  const app = createApp({ db, env, ...overrides });
  return { app, db };
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

/** Empties events and persons (not accounts or sessions), for a property test that reuses one database across runs. */
export async function deleteAllEvents(db: OnrampDb): Promise<void> {
  const statements =
    'DELETE FROM events; DELETE FROM person_distinct_ids; DELETE FROM persons; DELETE FROM api_call_rollups; DELETE FROM person_call_facts; DELETE FROM first_call_failures;';
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
