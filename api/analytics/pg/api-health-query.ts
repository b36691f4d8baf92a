/**
 * PostgreSQL side of the API health report: the same groups as api/analytics/api-health-query.ts, from the
 * `events_api_call_summary` partial index over the stored call columns (db/schema-pg.ts), never the JSON.
 */
import { sql } from 'drizzle-orm';
import type { OnrampPgDb } from '../../../db/client-pg.ts';
import type { ApiHealthData, CallGroupRow } from '../api-health-query.ts';
import type { Range } from '../params.ts';
import { pgRows } from './query.ts';
import { firstSuccessOf } from './sql.ts';

/**
 * Loads the call groups and the support-ticket count. `errors` is NULL for a group whose calls have no status,
 * as SQLite's SUM over NULL comparisons gives (the shaping reads it as 0).
 */
export async function loadApiHealthDataPg(db: OnrampPgDb, range: Range): Promise<ApiHealthData> {
  const [groups, tickets] = await Promise.all([
    pgRows<CallGroupRow>(
      db,
      sql`SELECT call_endpoint AS endpoint, call_duration_ms AS duration, call_error_code AS code, COUNT(*) AS calls,
                 SUM(CASE WHEN call_status IS NULL THEN NULL
                          WHEN call_status >= 500 OR (call_status >= 400 AND call_status < 500 AND call_status <> 429) THEN 1 ELSE 0 END) AS errors,
                 SUM(CASE WHEN call_error_code IS NULL THEN 0
                          WHEN c.timestamp < COALESCE(${firstSuccessOf('c.person_id')}, 9007199254740991) THEN 1 ELSE 0 END) AS "beforeFirstSuccess"
          FROM events c
          WHERE c.event = 'api_call' AND c.timestamp BETWEEN ${range.from} AND ${range.to}
          GROUP BY call_endpoint, call_duration_ms, call_error_code`,
    ),
    pgRows<{ n: number }>(
      db,
      sql`SELECT COUNT(*) AS n FROM events WHERE event = 'support_ticket_created' AND timestamp BETWEEN ${range.from} AND ${range.to}`,
    ),
  ]);
  return { groups, supportTickets: tickets[0]!.n };
}
