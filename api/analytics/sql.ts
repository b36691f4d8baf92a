/**
 * SQL fragments shared by the report queries, written once for both dialects on top of {@link SqlFragments}.
 * Everything user-supplied is a bound parameter; only constants are spliced into the text.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { SqlFragments } from '../storage/sql/interface.ts';

/**
 * Each person's first successful call over all time: `(pid, ts)`, one row per person, ordered by person.
 * It reads only the partial index of 2xx calls (no `id`: asking for it would fetch every table row on SQLite).
 */
export function firstSuccess(f: SqlFragments): SQL {
  return sql`SELECT person_id AS pid, MIN(timestamp) AS ts FROM events ${f.indexedBy('events_success_call_person_timestamp')} WHERE ${f.successCall} GROUP BY person_id`;
}

/** Time of one person's first successful call over all time (correlated on `pid`), NULL when none. */
export function firstSuccessOf(f: SqlFragments, pid: SQL): SQL {
  return sql`(SELECT MIN(timestamp) FROM events ${f.indexedBy('events_success_call_person_timestamp')} WHERE ${f.successCall} AND person_id = ${pid})`;
}

/**
 * Whether an `api_call` (alias `c`) was made with a key the API could not verify: its `key_verified` property is
 * JSON false. Such calls are left out of error rates and error lists, so anyone sending made-up keys cannot move
 * them; a call without the property counts as verified.
 */
export function unverifiedCall(f: SqlFragments, alias: string): SQL {
  return f.jsonIsFalse(sql`${sql.identifier(alias)}.properties`, 'key_verified');
}
