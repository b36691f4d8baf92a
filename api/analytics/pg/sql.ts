/**
 * PostgreSQL twins of api/analytics/sql.ts's fragments. They differ from the SQLite text only where the dialects do:
 * the success test reads the stored `call_status` helper instead of the JSON, and there are no `INDEXED BY` hints
 * (the planner picks the partial index because the WHERE below implies its predicate, db/schema-pg.ts).
 */
import { sql, type SQL } from 'drizzle-orm';

/** A 2xx `api_call`: the predicate of the partial index `events_success_call_person_timestamp`. */
export const SUCCESS_CALL = sql.raw(`event = 'api_call' AND call_status >= 200 AND call_status < 300`);

/** Each person's first successful call over all time: `(pid, ts)`, one row per person. */
export const FIRST_SUCCESS = sql`SELECT person_id AS pid, MIN(timestamp) AS ts FROM events WHERE ${SUCCESS_CALL} GROUP BY person_id`;

/** Time of one person's first successful call over all time (correlated on `pidExpr`), NULL when none. */
export function firstSuccessOf(pidExpr: string): SQL {
  return sql`(SELECT MIN(timestamp) FROM events WHERE ${SUCCESS_CALL} AND person_id = ${sql.raw(pidExpr)})`;
}

/**
 * Text ordering as SQLite's BINARY collation has it (UTF-8 bytes, i.e. code points), whatever the database's
 * collation: top-N lists cut at a tie must keep the same rows on both backends.
 */
export const BINARY = sql.raw('COLLATE "C"');
