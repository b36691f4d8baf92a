import { createHash } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import { countedFailedCall } from '../../../db/schema/pg.ts';
import type { Row, SqlDatabase, SqlFragments } from './interface.ts';
import { boundColumnName, LOCK_BUSY } from './interface.ts';

const dialect = new PgDialect();

/** int8 (count(*), bigint columns) and numeric come back as JS numbers, as SQLite gives them. */
const NUMBER_TYPES = new Set<number>([pg.types.builtins.INT8, pg.types.builtins.NUMERIC]);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    NUMBER_TYPES.has(oid) ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** PostgreSQL's side of {@link SqlFragments}: jsonb operators, the "C" collation, no index hints. */
export const postgresFragments: SqlFragments = {
  jsonText: (column, key) => sql`(${column} ->> ${key}::text)`,
  jsonNumber: (column, key) => sql`(CASE WHEN jsonb_typeof(${column} -> ${key}::text) = 'number' THEN (${column} ->> ${key}::text)::double precision END)`,
  jsonValue: (value) => sql`${JSON.stringify(value)}::jsonb`,
  jsonRaw: (column, key) => sql`CAST((${column} -> ${key}::text) AS TEXT)`,
  successCall: sql.raw(`event = 'api_call' AND call_status >= 200 AND call_status < 300`),
  countedFailedCall,
  jsonIsFalse: (column, key) => sql`COALESCE((${column} -> ${key}::text) = 'false'::jsonb, false)`,
  jsonKind: (column, key) => sql`jsonb_typeof(${column} -> ${key}::text)`,
  boundRows: (rows, columns) =>
    sql`(SELECT ${sql.join(
      columns.map(([name, type], i) => sql`${sql.raw(`(value ->> ${i})${type === 'integer' ? '::bigint' : ''}`)} AS ${sql.identifier(boundColumnName(name))}`),
      sql`, `,
    )}, ord - 1 AS ord FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb) WITH ORDINALITY AS bound(value, ord))`,
  binaryCollation: sql.raw('COLLATE "C"'),
  indexedBy: () => sql``,
  forUpdate: sql.raw('FOR UPDATE'),
  jsonKeys: (column, alias) =>
    sql`jsonb_object_keys(CASE WHEN jsonb_typeof(${column}) = 'object' THEN ${column} ELSE '{}'::jsonb END) AS ${sql.identifier(boundColumnName(alias))}(key)`,
  jsonArrayIncludes: (array, value) => sql`((${array})::jsonb @> jsonb_build_array(${value}::text))`,
  jsonArrayAppend: (array, value) => sql`((${array})::jsonb || jsonb_build_array(${value}::text))::text`,
  jsonArrayRemove: (array, values) => sql`((${array})::jsonb - ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(values)}::jsonb)))::text`,
  concatBytes: (column) => sql`string_agg(${column}, ''::bytea)`,
  waitForLock: (name) => sql`SELECT pg_advisory_xact_lock(${advisoryLockKey(name)}::bigint)`,
};

/**
 * Lock names whose key predates {@link advisoryLockKey}'s hash: the ingest apply lock keeps the key ("ingest" in
 * ASCII) earlier versions took, so during a rolling upgrade old and new instances still apply one at a time.
 */
const FIXED_LOCK_KEYS: Readonly<Record<string, string>> = { ingest: '111546413966196' };

/** A stable 64-bit advisory lock key for a lock name. */
export function advisoryLockKey(name: string): string {
  return FIXED_LOCK_KEYS[name] ?? createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

/**
 * Partitions the ingest log is applied in (api/ingest/apply-partitions.ts): at most this many instances apply in
 * parallel. Each partition's applier decodes the whole rows it touches, so more partitions cost more decoding. Rows
 * record their partitions when appended, so changing this needs an empty log.
 */
const APPLY_PARTITIONS = 4;

/** SQLSTATE classes about the database as a whole (connection, resources, shutdown, read-only, lock contention…). */
const STORAGE_WIDE_CLASSES = new Set(['08', '25', '40', '53', '54', '55', '57', '58', 'XX']);

/** node-postgres's own errors (without a code) for a connection or pool that cannot be used. */
const NODE_POSTGRES_CONNECTION_ERRORS =
  /^(Connection terminated|timeout exceeded when trying to connect|Cannot use a pool after calling end|Client has encountered a connection error|Client was closed|Query read timeout)/;

/**
 * PostgreSQL errors about the database as a whole, which retrying row by row would only repeat. Errors of a row's
 * own data (bad JSON, a value PostgreSQL rejects) are not.
 */
export function isPgStorageWide(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return STORAGE_WIDE_CLASSES.has(code.slice(0, 2));
  // Node socket errors (ECONNREFUSED…).
  if (typeof code === 'string' && code.startsWith('E')) return true;
  // A row's bad JSON: its message quotes the row, which must not be read as one of the messages below.
  if (error instanceof SyntaxError || error instanceof TypeError || error instanceof RangeError) return false;
  return NODE_POSTGRES_CONNECTION_ERRORS.test(String((error as Error)?.message ?? ''));
}

/** Why a PostgreSQL storage failure stopped a write, for the 503. */
export function pgFailureReason(error: unknown): string {
  const code = String((error as { code?: unknown })?.code ?? 'UNKNOWN');
  if (code === '53100') return 'the disk is full';
  if (code === '25006') return 'the database is read-only';
  if (code.startsWith('08') || code.startsWith('57P') || code.startsWith('E') || code === 'UNKNOWN') return 'the database cannot be reached';
  return `the database failed (${code})`;
}

type Queryable = pg.Pool | pg.PoolClient;

function render(query: SQL): { text: string; values: unknown[] } {
  const { sql: text, params } = dialect.sqlToQuery(query);
  return { text, values: params };
}

async function runQuery<T extends Row>(on: Queryable, query: SQL): Promise<pg.QueryResult<T>> {
  return on.query<T>({ ...render(query), types });
}

/**
 * {@link SqlDatabase} on a node-postgres pool: each statement takes a pooled connection, a transaction holds one
 * until it ends, and streams read through a server-side cursor. With `inTransaction`: a connection inside a
 * transaction its caller opened and ends (one that holds an advisory lock); statements run on it, nested
 * transactions run inline.
 *
 * @example
 * const database = postgresDatabase(openPgDb(url).$client);
 */
export function postgresDatabase(pool: pg.Pool, inTransaction?: pg.PoolClient): SqlDatabase {
  function on(queryable: Queryable, owned: boolean): SqlDatabase {
    const self: SqlDatabase = {
      dialect: 'postgres',
      fragments: postgresFragments,
      all: async (query) => (await runQuery(queryable, query)).rows as never,
      get: async (query) => (await runQuery(queryable, query)).rows[0] as never,
      run: async (query) => (await runQuery(queryable, query)).rowCount ?? 0,
      transaction: (fn) => (owned ? fn(self) : transaction(fn)),
      transactionWithLock: (key, fn) =>
        owned
          ? (async () => {
              await queryable.query('SELECT pg_advisory_xact_lock($1)', [advisoryLockKey(key)]);
              return fn(self);
            })()
          : transaction(async (tx) => {
              await tx.run(sql`SELECT pg_advisory_xact_lock(${advisoryLockKey(key)}::bigint)`);
              return fn(tx);
            }),
      tryTransactionWithLock: (key, fn) => {
        const attempt = async (tx: SqlDatabase) => {
          const row = await tx.get<{ locked: boolean }>(sql`SELECT pg_try_advisory_xact_lock(${advisoryLockKey(key)}::bigint) AS locked`);
          return row?.locked ? fn(tx) : LOCK_BUSY;
        };
        return owned ? attempt(self) : transaction(attempt);
      },
      tryTransactionWithSharedLock: (sharedKey, key, fn) => {
        // Both in one statement; when only one is granted, it goes with the transaction that answers busy.
        const attempt = async (tx: SqlDatabase) => {
          const row = await tx.get<{ locked: boolean }>(
            sql`SELECT pg_try_advisory_xact_lock_shared(${advisoryLockKey(sharedKey)}::bigint) AND pg_try_advisory_xact_lock(${advisoryLockKey(key)}::bigint) AS locked`,
          );
          return row?.locked ? fn(tx) : LOCK_BUSY;
        };
        return owned ? attempt(self) : transaction(attempt);
      },
      applyPartitions: APPLY_PARTITIONS,
      repeated: async ({ query }, returnsRows) => {
        const result = await runQuery(queryable, query());
        return returnsRows ? (result.rows as never) : [];
      },
      isStorageWide: isPgStorageWide,
      failureReason: pgFailureReason,
      stream: (query, batchRows) => streamRows(queryable, query, batchRows),
      close: async () => {
        if (!owned) await pool.end();
      },
    };
    return self;
  }

  async function transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const result = await fn(on(client, true));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      }
    } catch (error) {
      // A connection that failed mid-transaction may be unusable: the pool replaces it.
      if (isPgStorageWide(error)) broken ??= error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async function* streamRows<T extends Row>(queryable: Queryable, query: SQL, batchRows = 1000): AsyncIterable<T[]> {
    const client = queryable instanceof pg.Pool ? await queryable.connect() : queryable;
    const { text, values } = render(query);
    let broken: Error | undefined;
    try {
      const rows = client.query(new QueryStream(text, values, { batchSize: batchRows, highWaterMark: batchRows, types }));
      let batch: T[] = [];
      for await (const row of rows) {
        batch.push(row as T);
        if (batch.length >= batchRows) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    } catch (error) {
      broken = error as Error;
      throw error;
    } finally {
      // A connection whose cursor failed (or was abandoned) mid-stream may still be inside the statement: discard it.
      if (client !== queryable) (client as pg.PoolClient).release(broken);
    }
  }

  return inTransaction ? on(inTransaction, true) : on(pool, false);
}
