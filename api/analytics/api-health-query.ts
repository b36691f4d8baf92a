/**
 * SQL for the API health report: `api_call` events in range, grouped in SQLite into (endpoint, duration) counts
 * so exact latency percentiles are computed from a frequency table instead of every row.
 */
import type { Database } from 'better-sqlite3';
import type { Range } from './params.ts';
import { CALL_CODE, ERROR_RATE_CALL, FAILED_CALL, firstSuccessOf } from './sql.ts';

export interface LatencyRow {
  endpoint: string | null;
  duration: number | null;
  calls: number;
  errors: number;
}
export interface EndpointErrorRow {
  endpoint: string | null;
  code: string;
  count: number;
}

export interface ApiHealthData {
  latency: LatencyRow[];
  errors: EndpointErrorRow[];
  firstCallErrors: Array<{ code: string; count: number }>;
  supportTickets: number;
}

const CALLS = `FROM events WHERE event = 'api_call' AND timestamp BETWEEN @from AND @to`;
const ENDPOINT = `json_extract(properties, '$.endpoint')`;

/**
 * firstCallErrors: failed calls (status ≥ 400, 429 included, or an `error_code`) in range made before the person's
 * first successful call, or at any time when they never had one.
 */
export function loadApiHealthData(sqlite: Database, range: Range): ApiHealthData {
  const params = { from: range.from, to: range.to };
  const latency = sqlite
    .prepare<typeof params, LatencyRow>(
      `SELECT ${ENDPOINT} AS endpoint, json_extract(properties, '$.duration_ms') AS duration, COUNT(*) AS calls,
              SUM(${ERROR_RATE_CALL}) AS errors
       ${CALLS} GROUP BY endpoint, duration`,
    )
    .all(params);
  const errors = sqlite
    .prepare<typeof params, EndpointErrorRow>(
      `SELECT ${ENDPOINT} AS endpoint, ${CALL_CODE} AS code, COUNT(*) AS count
       ${CALLS} AND ${FAILED_CALL} GROUP BY endpoint, code`,
    )
    .all(params);
  const firstCallErrors = sqlite
    .prepare<typeof params, { code: string; count: number }>(
      `SELECT ${CALL_CODE} AS code, COUNT(*) AS count
       FROM events e WHERE e.event = 'api_call' AND e.timestamp BETWEEN @from AND @to AND ${FAILED_CALL}
         AND e.timestamp < COALESCE(${firstSuccessOf('e.person_id')}, 9007199254740991)
       GROUP BY code ORDER BY count DESC, code LIMIT 10`,
    )
    .all(params);
  const supportTickets = sqlite
    .prepare<typeof params, number>(`SELECT COUNT(*) FROM events WHERE event = 'support_ticket_created' AND timestamp BETWEEN @from AND @to`)
    .pluck()
    .get(params)!;
  return {
    latency,
    errors: errors.map((r) => ({ ...r, code: String(r.code) })),
    firstCallErrors: firstCallErrors.map((r) => ({ code: String(r.code), count: r.count })),
    supportTickets,
  };
}
