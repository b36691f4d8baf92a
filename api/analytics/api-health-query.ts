/**
 * SQL for the API health report, from the rollups only (raw `api_call` rows may be gone past their retention): the
 * rollup rows covering the range (api/analytics/api-traffic/rollup-read.ts), the failed calls made before each
 * person's first success (`first_call_failures`), and the support tickets in range.
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import { readMinuteFloor } from './api-traffic/minute-rollups.ts';
import { coverRange, type RollupRow, readRollups, wholeMinutes } from './api-traffic/rollup-read.ts';
import type { CodeCount } from './contract.ts';
import type { Range } from './params.ts';
import { eventRows } from './sql.ts';

export interface ApiHealthData {
  rollups: RollupRow[];
  /** Failed calls before a first success, per code (every code; the shaping keeps the top ones). */
  firstCallFailures: CodeCount[];
  supportTickets: number;
}

/**
 * Loads what the report needs. Calls are counted by whole minutes (a minute counts when any of it is in range), by
 * whole hours at an edge older than the minute rows kept; `firstCallErrors` and support tickets use the exact range.
 */
export async function loadApiHealthData(database: SqlDatabase, range: Range): Promise<ApiHealthData> {
  const f = database.fragments;
  const minutes = wholeMinutes(range);
  const minuteFloor = await readMinuteFloor(database);
  const tickets = eventRows(f, 'e', 'support_ticket_created');
  const [rollups, failures, ticketCount] = await Promise.all([
    readRollups(database, coverRange(minutes.from, minutes.to, minuteFloor)),
    database.all<{ code: string; count: unknown }>(
      sql`SELECT code, COUNT(*) AS count FROM first_call_failures WHERE timestamp BETWEEN ${range.from} AND ${range.to} GROUP BY code`,
    ),
    database.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM ${tickets.from} WHERE ${tickets.where} AND timestamp BETWEEN ${range.from} AND ${range.to}`),
  ]);
  return {
    rollups,
    firstCallFailures: failures.map((r) => ({ code: String(r.code), count: Number(r.count) })),
    supportTickets: Number(ticketCount?.n ?? 0),
  };
}
