/**
 * SQL for time to first successful integration: one narrow row per person who started in range,
 * `(start, seconds)` with `seconds` NULL when they have not completed by `to`.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import { FIRST_SUCCESSFUL_CALL, type TtfsiParams } from './params.ts';
import { eventRows, firstSuccess, firstSuccessOf, notACall } from './sql.ts';

export type TtfsiRow = {
  start: number;
  seconds: number | null;
};

/**
 * Where TTFSI's per-person rows come from, for `p` over each of `periods` (its own `from` and `to` replaced by the
 * period's; `onRow` gets the period's index): {@link streamTtfsi} (raw events), or the per-person state
 * (api/analytics/person-state/) when it can answer, in one pass over the persons.
 */
export type TtfsiStream = (
  p: TtfsiParams,
  periods: ReadonlyArray<{ from: number; to: number }>,
  onRow: (period: number, row: TtfsiRow) => void,
) => Promise<void>;

/** The raw-event source of `database`: one query per period. */
export function rawTtfsiStream(database: SqlDatabase): TtfsiStream {
  return async (p, periods, onRow) => {
    for (const [i, period] of periods.entries()) await streamTtfsi(database, { ...p, ...period }, (row) => onRow(i, row));
  };
}

/** Rows per batch of the stream. */
const STREAM_BATCH = 5_000;

/**
 * A person started at their first start event in [from, to]; they completed at their first end event in
 * [start, to]. For `first_successful_call` the end is the person's earliest 2xx call over all time, so a person
 * whose first success came before the start never completes. Streams rows to `onRow` (synchronous work only).
 * `seconds` divides in double precision on both dialects, so both give the same number bit for bit.
 * `onlyPerson` (an internal person id) restricts the rows to that person: the person page's TTFSI so far.
 */
export async function streamTtfsi(database: SqlDatabase, p: TtfsiParams, onRow: (row: TtfsiRow) => void, onlyPerson?: number): Promise<void> {
  const f = database.fragments;
  const person = (column: SQL) => (onlyPerson === undefined ? sql`` : sql` AND ${column} = ${onlyPerson}`);
  const startRows = eventRows(f, 'e', p.start);
  const starts: SQL =
    p.start === FIRST_SUCCESSFUL_CALL
      ? sql`SELECT pid, ts AS st FROM (${firstSuccess(f)}) f WHERE ts BETWEEN ${p.from} AND ${p.to}${person(sql`pid`)}`
      : sql`SELECT person_id AS pid, MIN(timestamp) AS st FROM ${startRows.from}
            WHERE ${startRows.where} AND timestamp BETWEEN ${p.from} AND ${p.to}${person(sql`person_id`)} GROUP BY person_id`;
  const end: SQL =
    p.end === FIRST_SUCCESSFUL_CALL
      ? sql`(SELECT fs FROM (SELECT ${firstSuccessOf(f, sql`s.pid`)} AS fs) f WHERE fs >= s.st AND fs <= ${p.to})`
      : sql`(SELECT MIN(timestamp) FROM events WHERE event = ${p.end}${p.end === 'api_call' ? sql`` : sql` AND ${notACall(sql`event`)}`} AND person_id = s.pid AND timestamp >= s.st AND timestamp <= ${p.to})`;
  const query = sql`SELECT s.st AS start, CAST(${end} - s.st AS DOUBLE PRECISION) / 1000 AS seconds FROM (${starts}) s`;
  for await (const batch of database.stream<TtfsiRow>(query, STREAM_BATCH)) for (const row of batch) onRow(row);
}
