/**
 * SQL for time to first successful integration: one narrow row per person who started in range,
 * `(start, seconds)` with `seconds` NULL when they have not completed by `to`.
 */
import type { Database } from 'better-sqlite3';
import { FIRST_SUCCESSFUL_CALL, type TtfsiParams } from './params.ts';
import { FIRST_SUCCESS, firstSuccessOf } from './sql.ts';

export interface TtfsiRow {
  start: number;
  seconds: number | null;
}

/**
 * A person started at their first start event in [from, to]; they completed at their first end event in
 * [start, to]. For `first_successful_call` the end is the person's earliest 2xx call over all time, so a person
 * whose first success came before the start never completes. Streams rows to `onRow`.
 */
export function streamTtfsi(sqlite: Database, p: TtfsiParams, onRow: (row: TtfsiRow) => void): void {
  const params: Record<string, string | number> = { from: p.from, to: p.to };
  const starts =
    p.start === FIRST_SUCCESSFUL_CALL
      ? `SELECT pid, ts AS st FROM (${FIRST_SUCCESS}) WHERE ts BETWEEN @from AND @to`
      : `SELECT person_id AS pid, MIN(timestamp) AS st FROM events INDEXED BY events_event_person_timestamp WHERE event = @start AND timestamp BETWEEN @from AND @to GROUP BY person_id`;
  if (p.start !== FIRST_SUCCESSFUL_CALL) params.start = p.start;
  let end: string;
  if (p.end === FIRST_SUCCESSFUL_CALL) {
    end = `(SELECT fs FROM (SELECT ${firstSuccessOf('s.pid')} AS fs) WHERE fs >= s.st AND fs <= @to)`;
  } else {
    params.end = p.end;
    end = `(SELECT MIN(timestamp) FROM events WHERE event = @end AND person_id = s.pid AND timestamp >= s.st AND timestamp <= @to)`;
  }
  const stmt = sqlite.prepare<Record<string, string | number>, TtfsiRow>(
    `SELECT s.st AS start, (${end} - s.st) / 1000.0 AS seconds FROM (${starts}) s`,
  );
  for (const row of stmt.iterate(params)) onRow(row);
}
