/**
 * SQL for the API health report: one pass over the `api_call` events in range, grouped in the database into
 * (endpoint, duration, outcome code, verified) counts. Exact latency percentiles come from that frequency table, so
 * no per-call rows reach JS. The pass reads the `events_api_call_summary` index over the call helper columns
 * (db/schema/sqlite.ts); only 401 / 403 calls have their JSON read, for `key_verified`.
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import type { Range } from './params.ts';
import { firstSuccessOf, unverifiedCall } from './sql.ts';

/** One group of calls: same endpoint, same duration, same outcome code (null when the call did not fail). */
export type CallGroupRow = {
  endpoint: string | null;
  duration: number | null;
  /** `error_code`, else the status as text; only for failed calls (status ≥ 400, 429 included, or an `error_code`). */
  code: string | null;
  /** 0 when the calls were refused (401 / 403) for a key the API could not verify (`key_verified: false`), else 1. */
  verified: number;
  calls: number;
  /** Calls counted in errorRate: status ≥ 500, or 400–499 except 429. */
  errors: number;
  /** Failed calls made before the person's first successful call (or by persons who never had one). */
  beforeFirstSuccess: number;
};

export interface ApiHealthData {
  groups: CallGroupRow[];
  supportTickets: number;
}

/**
 * Loads the call groups and the support-ticket count. `key_verified` is read only for calls refused as unauthorized
 * (401 / 403), the only answer the API gives a key it could not verify, and through a lookup by id, so the pass over
 * every other call stays on the index: reading the JSON of every call (or every failed call) made this report two
 * to three times slower on SQLite.
 */
export async function loadApiHealthData(database: SqlDatabase, range: Range): Promise<ApiHealthData> {
  const f = database.fragments;
  const [groups, tickets] = await Promise.all([
    database.all<CallGroupRow & { code: unknown }>(
      sql`SELECT call_endpoint AS endpoint, call_duration_ms AS duration, call_error_code AS code,
                 CASE WHEN call_status IN (401, 403) AND (SELECT ${unverifiedCall(f, 'u')} FROM events u WHERE u.id = c.id) THEN 0 ELSE 1 END AS verified,
                 COUNT(*) AS calls,
                 SUM(CASE WHEN call_status >= 500 OR (call_status >= 400 AND call_status < 500 AND call_status <> 429) THEN 1 ELSE 0 END) AS errors,
                 SUM(CASE WHEN call_error_code IS NULL THEN 0
                          WHEN c.timestamp < COALESCE(${firstSuccessOf(f, sql`c.person_id`)}, 9007199254740991) THEN 1 ELSE 0 END) AS "beforeFirstSuccess"
          FROM events c ${f.indexedBy('events_api_call_summary')}
          WHERE c.event = 'api_call' AND c.timestamp BETWEEN ${range.from} AND ${range.to}
          GROUP BY call_endpoint, call_duration_ms, call_error_code, verified`,
    ),
    database.get<{ n: number }>(
      sql`SELECT COUNT(*) AS n FROM events ${f.indexedBy('events_event_person_timestamp')}
          WHERE event = 'support_ticket_created' AND timestamp BETWEEN ${range.from} AND ${range.to}`,
    ),
  ]);
  return { groups: groups.map((g) => ({ ...g, code: g.code === null ? null : String(g.code) })), supportTickets: tickets?.n ?? 0 };
}
