/**
 * SQL behind a flag's evidence: what the persons who stalled at a step ran into. The stalled persons are passed
 * as one bound JSON array `[[person_id, since], ...]` (read with json_each), so nothing is interpolated and
 * nothing is written.
 */
import type { Database } from 'better-sqlite3';
import type { StallIndex } from './funnel-query.ts';
import type { Range } from './params.ts';

/** Rows kept per evidence list. */
export const EVIDENCE_LIMIT = 5;

const STALLED = `stalled(pid, since) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(@stalled))`;

/** Persons whose deepest step is `k` steps reached (so they stalled before step index k), with their attempt start. */
export function stalledAt(stalls: StallIndex, k: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < stalls.pids.length; i++) if (stalls.depths[i] === k) out.push([stalls.pids[i]!, stalls.starts[i]!]);
  return out;
}

/**
 * Top outcome codes (`error_code`, else the status) of failed `api_call`s (status ≥ 400, 429 included, or any
 * `error_code`) that the stalled persons made between their attempt's step-1 time and `to`. Read from the
 * `call_error_code` helper column's partial index only.
 */
export function stalledErrors(sqlite: Database, range: Range, stalled: Array<[number, number]>) {
  if (stalled.length === 0) return [];
  return sqlite
    .prepare<{ stalled: string; to: number; limit: number }, { code: string; count: number }>(
      `WITH ${STALLED}
       SELECT e.call_error_code AS code, COUNT(*) AS count
       FROM stalled s CROSS JOIN events e INDEXED BY events_failed_call_person_timestamp
         ON e.person_id = s.pid AND e.timestamp BETWEEN s.since AND @to AND e.call_error_code IS NOT NULL
       GROUP BY code ORDER BY count DESC, code LIMIT @limit`,
    )
    .all({ stalled: JSON.stringify(stalled), to: range.to, limit: EVIDENCE_LIMIT })
    .map((r) => ({ code: String(r.code), count: r.count }));
}

/** The `$pathname` of each stalled person's last `$pageview` in [from, to], counted per path. */
export function stalledLastPages(sqlite: Database, range: Range, stalled: Array<[number, number]>) {
  if (stalled.length === 0) return [];
  return sqlite
    .prepare<{ stalled: string; from: number; to: number; limit: number }, { path: string; count: number }>(
      `WITH ${STALLED},
       last AS (
         SELECT (SELECT json_extract(properties, '$."$pathname"') FROM events
                 WHERE event = '$pageview' AND person_id = s.pid AND timestamp BETWEEN @from AND @to
                 ORDER BY timestamp DESC LIMIT 1) AS path
         FROM stalled s
       )
       SELECT path, COUNT(*) AS count FROM last WHERE path IS NOT NULL
       GROUP BY path ORDER BY count DESC, path LIMIT @limit`,
    )
    .all({ stalled: JSON.stringify(stalled), from: range.from, to: range.to, limit: EVIDENCE_LIMIT })
    .map((r) => ({ path: String(r.path), count: r.count }));
}
