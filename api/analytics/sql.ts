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
 * Whether an `api_call` (alias `c`) was made with a key the API could not verify: its `key_verified` property is
 * JSON false. Such calls are left out of error rates and error lists, so anyone sending made-up keys cannot move
 * them; a call without the property counts as verified.
 */
export function unverifiedCall(f: SqlFragments, alias: string): SQL {
  return f.jsonIsFalse(sql`${sql.identifier(alias)}.properties`, 'key_verified');
}
