/**
 * Running report SQL on PostgreSQL. Statements are drizzle `sql` templates, so every value is a bound parameter;
 * they run on the pool's raw node-postgres client (rows as plain objects, streaming through a cursor).
 *
 * node-postgres returns `bigint` (ids, epoch-ms times, COUNT) as strings; here they are read as JS numbers, which
 * is exact for every value the schema holds (epoch-ms times, ids and counts all stay far below 2^53) and keeps the SQL
 * free of casts on indexed columns (`person_id::float8` would hide the index order a merge can use). A type parser
 * must not throw (node-postgres would raise it outside the query's promise), so a value past 2^53 would round.
 * `numeric` (SUM of `bigint`) is not parsed: queries cast it.
 */
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import type { OnrampPgDb } from '../../../db/client-pg.ts';

const dialect = new PgDialect();

/** Per-query type parsers: `bigint` → number, everything else as node-postgres reads it. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** Renders a drizzle template to text with `$n` placeholders and its values. */
export function renderPg(query: SQL): { text: string; values: unknown[] } {
  const { sql, params } = dialect.sqlToQuery(query);
  return { text: sql, values: params };
}

/** Runs one statement and returns its rows. */
export async function pgRows<T>(db: OnrampPgDb, query: SQL): Promise<T[]> {
  const { text, values } = renderPg(query);
  const result = await db.$client.query<T & pg.QueryResultRow>({ text, values, types });
  return result.rows;
}

/** Rows fetched per cursor round trip while streaming. */
const STREAM_BATCH = 5000;

/**
 * Streams one statement's rows through a server-side cursor on a dedicated pooled connection, handing each row to
 * `onRow`, so memory holds one batch at a time however many rows the statement yields.
 */
export async function streamPgRows<T>(db: OnrampPgDb, query: SQL, onRow: (row: T) => void): Promise<void> {
  const { text, values } = renderPg(query);
  const client = await db.$client.connect();
  let failure: Error | undefined;
  try {
    const stream = client.query(new QueryStream(text, values, { batchSize: STREAM_BATCH, highWaterMark: STREAM_BATCH, types }));
    for await (const row of stream) onRow(row as T);
  } catch (error) {
    failure = error as Error;
    throw error;
  } finally {
    // A connection whose cursor failed mid-stream may still be inside the statement: discard it.
    client.release(failure);
  }
}
