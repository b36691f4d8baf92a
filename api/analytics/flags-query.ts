/**
 * SQL behind a flag's evidence: what the persons who stalled at a step ran into. The stalled persons are passed
 * as one bound list of `(pid, since)` rows, so nothing is interpolated and nothing is written.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { SqlDatabase, SqlFragments } from '../storage/sql/interface.ts';
import type { ErrorCount } from './contract.ts';
import type { StallIndex } from './funnel-run.ts';
import type { Range } from './params.ts';
import { notACall, unverifiedCall } from './sql.ts';

/** Rows kept per evidence list. */
export const EVIDENCE_LIMIT = 5;

/** Persons whose deepest step is `k` steps reached (so they stalled before step index k), with their attempt start. */
export function stalledAt(stalls: StallIndex, k: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < stalls.pids.length; i++) if (stalls.depths[i] === k) out.push([stalls.pids[i]!, stalls.starts[i]!]);
  return out;
}

function stalledRows(f: SqlFragments, stalled: Array<[number, number]>): SQL {
  return f.boundRows(stalled, [
    ['pid', 'integer'],
    ['since', 'integer'],
  ]);
}

/**
 * Top outcome codes (`error_code`, else the status) of failed `api_call`s, each with its calls and distinct persons, (status ≥ 400, 429 included, or any
 * `error_code`) that the stalled persons made between their attempt's step-1 time and `to`, read from the
 * `call_error_code` helper column's partial index. Calls made with a key the API could not verify are left out.
 */
export async function stalledErrors(database: SqlDatabase, range: Range, stalled: Array<[number, number]>): Promise<ErrorCount[]> {
  if (stalled.length === 0) return [];
  const f = database.fragments;
  const rows = await database.all<{ code: unknown; count: number; persons: number }>(
    sql`SELECT e.call_error_code AS code, COUNT(*) AS count, COUNT(DISTINCT e.person_id) AS persons
        FROM ${stalledRows(f, stalled)} AS s
        JOIN events e ${f.indexedBy('events_failed_call_person_timestamp')}
          ON e.person_id = s.pid AND e.timestamp BETWEEN s.since AND ${range.to} AND e.call_error_code IS NOT NULL
        WHERE NOT ${unverifiedCall(f, 'e')}
        GROUP BY e.call_error_code ORDER BY count DESC, e.call_error_code ${f.binaryCollation} LIMIT ${EVIDENCE_LIMIT}`,
  );
  return rows.map((r) => ({ code: String(r.code), count: Number(r.count), persons: Number(r.persons) }));
}

/**
 * The `$pathname` of each stalled person's last `$pageview` in [from, to], counted per path. Of page views at the
 * same last instant the latest stored wins.
 */
export async function stalledLastPages(database: SqlDatabase, range: Range, stalled: Array<[number, number]>): Promise<Array<{ path: string; count: number }>> {
  if (stalled.length === 0) return [];
  const f = database.fragments;
  // Grouped by the looked-up path and filtered in HAVING, so the lookup is evaluated once per person on either dialect.
  const rows = await database.all<{ path: unknown; count: number }>(
    sql`SELECT path, COUNT(*) AS count FROM (
          SELECT (SELECT ${f.jsonText(sql`e.properties`, '$pathname')} FROM events e
                  WHERE e.event = '$pageview' AND ${notACall(sql`e.event`)} AND e.person_id = s.pid AND e.timestamp BETWEEN ${range.from} AND ${range.to}
                  ORDER BY e.timestamp DESC, e.id DESC LIMIT 1) AS path
          FROM ${stalledRows(f, stalled)} AS s
        ) last
        GROUP BY path HAVING path IS NOT NULL ORDER BY count DESC, path ${f.binaryCollation} LIMIT ${EVIDENCE_LIMIT}`,
  );
  return rows.map((r) => ({ path: String(r.path), count: r.count }));
}
