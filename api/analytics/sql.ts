/**
 * SQL fragments shared by the report queries. Everything user-supplied is a bound parameter; these strings are
 * constants.
 */

/**
 * A 2xx `api_call`. The text must stay identical to the WHERE of the partial index
 * `events_success_call_person_timestamp` in db/schema.ts, or SQLite cannot use that index.
 */
export const SUCCESS_CALL = `event = 'api_call' AND json_extract(properties, '$.status') >= 200 AND json_extract(properties, '$.status') < 300`;

/**
 * Each person's first successful call over all time: `(pid, ts)`, one row per person, ordered by person.
 * It reads only the partial index (no `id`: asking for it would fetch every table row).
 */
export const FIRST_SUCCESS = `SELECT person_id AS pid, MIN(timestamp) AS ts
  FROM events INDEXED BY events_success_call_person_timestamp
  WHERE ${SUCCESS_CALL}
  GROUP BY person_id`;

/** Time of one person's first successful call over all time (correlated on `pidExpr`), NULL when none. */
export function firstSuccessOf(pidExpr: string): string {
  return `(SELECT MIN(timestamp) FROM events INDEXED BY events_success_call_person_timestamp WHERE ${SUCCESS_CALL} AND person_id = ${pidExpr})`;
}

/**
 * Failed calls (status ≥ 400, 429 included, or an `error_code`) carry their outcome code (`error_code`, else the
 * status as text) in the virtual column `events.call_error_code` (db/schema.ts), indexed per person and time.
 * Lists of errors (topErrors, firstCallErrors) use that rule; errorRate is narrower (api-health-query.ts).
 */

/** JSON path for one top-level property name, quoted so dots and `$` in the name are literal. */
export function propertyPath(name: string): string {
  return `$."${name}"`;
}
