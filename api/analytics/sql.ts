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
 * Outcome code of an `api_call`: its `error_code` property, else its status as text.
 * Used for topErrors everywhere.
 */
export const CALL_CODE = `COALESCE(json_extract(properties, '$.error_code'), CAST(json_extract(properties, '$.status') AS TEXT))`;

/**
 * A call that went wrong from the caller's point of view: status ≥ 400 (429 included) or an `error_code`.
 * Lists of errors (topErrors, firstCallErrors) use this; errorRate uses the narrower ERROR_RATE_CALL.
 */
export const FAILED_CALL = `(json_extract(properties, '$.status') >= 400 OR json_extract(properties, '$.error_code') IS NOT NULL)`;

/** Counted in errorRate: status ≥ 500, or 400–499 except 429 (rate limiting is the client pacing itself, not a fault). */
export const ERROR_RATE_CALL = `(json_extract(properties, '$.status') >= 500 OR (json_extract(properties, '$.status') >= 400 AND json_extract(properties, '$.status') < 500 AND json_extract(properties, '$.status') <> 429))`;

/** JSON path for one top-level property name, quoted so dots and `$` in the name are literal. */
export function propertyPath(name: string): string {
  return `$."${name}"`;
}
