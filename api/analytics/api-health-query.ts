/**
 * SQL for the API health report: one pass over the `api_call` events in range, grouped in SQLite into
 * (endpoint, duration, outcome code) counts. Exact latency percentiles come from that frequency table, so no
 * per-call rows reach JS. The pass reads only the `events_api_call_summary` index over the virtual call columns
 * (db/schema.ts), never the JSON.
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
      `SELECT call_endpoint AS endpoint, call_duration_ms AS duration, call_error_code AS code, COUNT(*) AS calls,
              SUM(call_status >= 500 OR (call_status >= 400 AND call_status < 500 AND call_status <> 429)) AS errors,
              SUM(CASE WHEN call_error_code IS NULL THEN 0
                       ELSE c.timestamp < COALESCE(${firstSuccessOf('c.person_id')}, 9007199254740991) END) AS beforeFirstSuccess
       FROM events c INDEXED BY events_api_call_summary
       WHERE c.event = 'api_call' AND c.timestamp BETWEEN @from AND @to
       GROUP BY call_endpoint, call_duration_ms, call_error_code`,
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
