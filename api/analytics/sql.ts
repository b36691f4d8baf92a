/**
 * SQL fragments shared by the report queries, written once for both dialects on top of {@link SqlFragments}.
 * Everything user-supplied is a bound parameter; only constants are spliced into the text.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { SqlFragments } from '../storage/sql/interface.ts';

/**
 * Each person's first successful (2xx) call over all time: `(pid, ts)`, one row per person. Read from the per-person
 * call facts kept at apply time (api/analytics/api-traffic/fact-writes.ts), so it stays correct after raw calls
 * are deleted past their retention.
 */
export function firstSuccess(_f: SqlFragments): SQL {
  return sql`SELECT person_id AS pid, first_success_at AS ts FROM person_call_facts WHERE first_success_at IS NOT NULL`;
}

/** Time of one person's first successful call over all time (correlated on `pid`), NULL when none. */
export function firstSuccessOf(_f: SqlFragments, pid: SQL): SQL {
  return sql`(SELECT first_success_at FROM person_call_facts WHERE person_id = ${pid})`;
}

/**
 * The `events` rows of one event name (`alias` names the table), through the index that holds them:
 * `events_event_person_timestamp` leaves out `api_call` rows (db/schema/*.ts: most rows are calls, and the reports
 * that read calls read the rollups and call facts), so a query matching it repeats its condition, which is what lets
 * both planners use a partial index; the calls themselves are read through `events_event_timestamp`.
 */
export function eventRows(f: SqlFragments, alias: string, name: string): { from: SQL; where: SQL } {
  const table = sql.identifier(alias);
  const column = sql`${table}.event`;
  if (name === 'api_call') return { from: sql`events ${table} ${f.indexedBy('events_event_timestamp')}`, where: sql`${column} = ${name}` };
  return { from: sql`events ${table} ${f.indexedBy('events_event_person_timestamp')}`, where: sql`${column} = ${name} AND ${notACall(column)}` };
}

/** The condition of the partial index `events_event_person_timestamp`, for queries that match it without a hint. */
export function notACall(column: SQL): SQL {
  return sql`${column} <> 'api_call'`;
}
