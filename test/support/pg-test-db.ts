import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, inject, TestRunner } from 'vitest';
import { INGEST_APPLY_LOCK } from '../../api/ingest/log-processor.ts';
import { writeEvents } from '../../api/ingest/store.ts';
import type { NormalizedEvent } from '../../api/ingest/validate.ts';
import { postgresDatabase } from '../../api/storage/sql/postgres.ts';
import { type OnrampPgDb, pgDbOnPool } from '../../db/client-pg.ts';

/** True in the `postgres` vitest project (test/vitest.config.ts), where every test app runs on PostgreSQL. */
export const ON_POSTGRES = process.env.ONRAMP_TEST_DIALECT === 'postgres';

const testCleanups: Array<() => Promise<void>> = [];
const fileCleanups: Array<() => Promise<void>> = [];
async function runInReverse(cleanups: Array<() => Promise<void>>) {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}
if (ON_POSTGRES) {
  afterEach(() => runInReverse(testCleanups));
  afterAll(() => runInReverse(fileCleanups));
}

/**
 * Runs after the current test (or, for an app a file makes outside any test, after the file), newest first: so an
 * app's writer closes before its pool, and the pool before its database is dropped.
 */
export function afterThisTest(cleanup: () => Promise<void>): void {
  // The running test, not expect's state: `currentTestName` keeps the last test's name into a later describe's
  // beforeAll, which would drop a file-wide server's database after that describe's first test.
  (TestRunner.getCurrentTest() === undefined ? fileCleanups : testCleanups).push(cleanup);
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('onrampPgServerUrl') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Starts copying the migrated template into a new database; `drop` waits for the copy, then removes it. */
function copyOfTemplate(): { url: string; created: Promise<unknown>; drop: () => Promise<void> } {
  const name = `onramp_t_${randomBytes(6).toString('hex')}`;
  const created = admin((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${inject('onrampPgTemplate')}" STRATEGY FILE_COPY`));
  created.catch(() => undefined);
  const url = new URL(inject('onrampPgServerUrl'));
  url.pathname = `/${name}`;
  const drop = async () => {
    await created.catch(() => undefined);
    await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  };
  return { url: url.toString(), created, drop };
}

/**
 * A fresh PostgreSQL database for one test app, copied from the migrated template, returned at once: its pool only
 * connects once the copy exists (each connection waits for it), so `testApp()` stays synchronous in both projects.
 * The database is dropped after the test.
 */
export function freshPgDb(): OnrampPgDb {
  const { url, created, drop } = copyOfTemplate();
  // pg-pool connects its clients with a callback; each waits for the copy first.
  const connectNow = pg.Client.prototype.connect as (this: pg.Client, callback?: (err: Error | null) => void) => unknown;
  function ClientAfterCreate(this: pg.Client, config: pg.ClientConfig) {
    const client = new pg.Client(config);
    (client as unknown as { connect: unknown }).connect = (callback?: (err: Error | null) => void) => {
      const connected = created.then(() => new Promise<void>((resolve, reject) => connectNow.call(client, (err) => (err ? reject(err) : resolve()))));
      if (!callback) return connected.then(() => client);
      connected.then(() => callback(null), callback);
      return undefined;
    };
    return client;
  }
  const pool = new pg.Pool({ connectionString: url, max: 5, Client: ClientAfterCreate as unknown as typeof pg.Client });
  pool.on('error', () => undefined);
  const db = pgDbOnPool(pool);
  afterThisTest(async () => {
    await db.close();
    await drop();
  });
  return db;
}

/** The URL of a fresh database copied from the template (for a server started as a child process). */
export async function freshPgDatabaseUrl(): Promise<string> {
  const { url, created, drop } = copyOfTemplate();
  afterThisTest(drop);
  await created;
  return url;
}

/** Stores events through the PostgreSQL ingest store in one transaction holding the apply lock, as the log processor does. */
export async function storePgEvents(db: OnrampPgDb, events: ReadonlyArray<NormalizedEvent>): Promise<void> {
  await postgresDatabase(db.$client).transactionWithLock(INGEST_APPLY_LOCK, (tx) => writeEvents(tx, [events]));
}
