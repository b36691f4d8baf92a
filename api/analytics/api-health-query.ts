/**
 * SQL for the API health report: one pass over the `api_call` events in range, grouped in SQLite into
 * (endpoint, duration, outcome code) counts. Exact latency percentiles come from that frequency table, so no
 * per-call rows reach JS.
 */
import type { Database } from 'better-sqlite3';
import type { Range } from './params.ts';
import { firstSuccessOf } from './sql.ts';

/** One group of calls: same endpoint, same duration, same outcome code (null when the call did not fail). */
export interface CallGroupRow {
  endpoint: string | null;
  duration: number | null;
  /** `error_code`, else the status as text; only for failed calls (status ≥ 400, 429 included, or an `error_code`). */
  code: string | null;
  calls: number;
  /** Calls counted in errorRate: status ≥ 500, or 400–499 except 429. */
  errors: number;
  /** Failed calls made before the person's first successful call (or by persons who never had one). */
  beforeFirstSuccess: number;
}

export interface ApiHealthData {
  groups: CallGroupRow[];
  supportTickets: number;
}

export function loadApiHealthData(sqlite: Database, range: Range): ApiHealthData {
  const params = { from: range.from, to: range.to };
  const groups = sqlite
    .prepare<typeof params, CallGroupRow>(
      `WITH c AS (
         SELECT json_extract(properties, '$.endpoint') AS endpoint, json_extract(properties, '$.duration_ms') AS duration,
                json_extract(properties, '$.status') AS status, json_extract(properties, '$.error_code') AS errorCode,
                person_id AS pid, timestamp AS ts
         FROM events WHERE event = 'api_call' AND timestamp BETWEEN @from AND @to
       ),
       o AS (
         SELECT endpoint, duration, status, pid, ts,
                CASE WHEN status >= 400 OR errorCode IS NOT NULL THEN COALESCE(errorCode, CAST(status AS TEXT)) END AS code
         FROM c
       )
       SELECT endpoint, duration, code, COUNT(*) AS calls,
              SUM(status >= 500 OR (status >= 400 AND status < 500 AND status <> 429)) AS errors,
              SUM(CASE WHEN code IS NULL THEN 0 ELSE ts < COALESCE(${firstSuccessOf('pid')}, 9007199254740991) END) AS beforeFirstSuccess
       FROM o GROUP BY endpoint, duration, code`,
    )
    .all(params);
  const supportTickets = sqlite
    .prepare<typeof params, number>(
      `SELECT COUNT(*) FROM events INDEXED BY events_event_person_timestamp WHERE event = 'support_ticket_created' AND timestamp BETWEEN @from AND @to`,
    )
    .pluck()
    .get(params)!;
  return { groups: groups.map((g) => ({ ...g, code: g.code === null ? null : String(g.code) })), supportTickets };
}
