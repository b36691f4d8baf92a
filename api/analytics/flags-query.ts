/**
 * SQL behind a flag's evidence: what the persons who stalled at a step ran into. The stalled persons are passed
 * as one bound list of `(pid, since)` rows, so nothing is interpolated and nothing is written.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { SqlDatabase, SqlFragments } from '../storage/sql/interface.ts';
import type { ErrorCount } from './contract.ts';
import type { StallIndex } from './funnel-run.ts';
import type { Range } from './params.ts';
import { notACall } from './sql.ts';
import { compareBytewise } from './text-order.ts';

/** Rows kept per evidence list. */
export const EVIDENCE_LIMIT = 5;

/** Persons whose deepest step is `k` steps reached (so they stalled before step index k), with their attempt start. */
export function stalledAt(stalls: StallIndex, k: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < stalls.length; i++) if (stalls.depths[i] === k) out.push([stalls.pids[i]!, stalls.starts[i]!]);
  return out;
}

function stalledRows(f: SqlFragments, stalled: Array<[number, number]>): SQL {
  return f.boundRows(stalled, [
    ['pid', 'integer'],
    ['since', 'integer'],
  ]);
}

/**
 * The failed `api_call`s (status ≥ 400, 429 included, or any `error_code`; coded by `call_error_code`, the
 * `error_code` else the status) that each stalled person made between their `since` and `to`, read from the partial
 * index on counted failed calls alone. Calls refused for a key the API could not verify are left out, as the call
 * facts leave them out (api/analytics/api-traffic/call.ts): the index's condition (`countedFailedCall`) says so.
 */
function failedCallsOf(f: SqlFragments, to: number, stalled: Array<[number, number]>): SQL {
  return sql`${stalledRows(f, stalled)} AS s
        JOIN events e ${f.indexedBy('events_failed_call_person_timestamp')}
          ON e.person_id = s.pid AND e.timestamp BETWEEN s.since AND ${to}
        WHERE ${f.countedFailedCall}`;
}

/** Orders evidence rows as the SQL does: most first, then by `key` byte-wise; keeps {@link EVIDENCE_LIMIT}. */
export function topEvidence<T extends { count: number }>(rows: T[], key: (row: T) => string): T[] {
  return rows.sort((a, b) => b.count - a.count || compareBytewise(key(a), key(b))).slice(0, EVIDENCE_LIMIT);
}

/** Top outcome codes of the stalled persons' failed calls (see {@link failedCallsOf}), each with calls and persons. */
export async function stalledErrors(database: SqlDatabase, range: Range, stalled: Array<[number, number]>): Promise<ErrorCount[]> {
  if (stalled.length === 0) return [];
  const f = database.fragments;
  const rows = await database.all<{ code: unknown; count: number; persons: number }>(
    sql`SELECT e.call_error_code AS code, COUNT(*) AS count, COUNT(DISTINCT e.person_id) AS persons
        FROM ${failedCallsOf(f, range.to, stalled)}
        GROUP BY e.call_error_code ORDER BY count DESC, e.call_error_code ${f.binaryCollation} LIMIT ${EVIDENCE_LIMIT}`,
  );
  return rows.map((r) => ({ code: String(r.code), count: Number(r.count), persons: Number(r.persons) }));
}

/** The same failed calls per person and code: what the per-person state cannot answer (person-state/evidence.ts). */
export async function failedCallsByPerson(
  database: SqlDatabase,
  to: number,
  stalled: Array<[number, number]>,
): Promise<Array<{ pid: number; code: string; count: number }>> {
  if (stalled.length === 0) return [];
  const rows = await database.all<{ pid: unknown; code: unknown; count: unknown }>(
    sql`SELECT e.person_id AS pid, e.call_error_code AS code, COUNT(*) AS count FROM ${failedCallsOf(database.fragments, to, stalled)}
        GROUP BY e.person_id, e.call_error_code`,
  );
  return rows.map((r) => ({ pid: Number(r.pid), code: String(r.code), count: Number(r.count) }));
}

/**
 * The page path (`pageview_path`) of each stalled person's last `$pageview` in [from, to], counted per path: the top
 * {@link EVIDENCE_LIMIT}, or every path with `all`. Of page views at the same last instant the latest stored wins.
 */
export async function stalledLastPages(
  database: SqlDatabase,
  range: Range,
  stalled: Array<[number, number]>,
  all = false,
): Promise<Array<{ path: string; count: number }>> {
  if (stalled.length === 0) return [];
  const f = database.fragments;
  // Grouped by the looked-up path and filtered in HAVING, so the lookup is evaluated once per person on either dialect.
  const rows = await database.all<{ path: unknown; count: number }>(
    sql`SELECT path, COUNT(*) AS count FROM (
          SELECT (SELECT e.pageview_path FROM events e
                  WHERE e.event = '$pageview' AND ${notACall(sql`e.event`)} AND e.person_id = s.pid AND e.timestamp BETWEEN ${range.from} AND ${range.to}
                  ORDER BY e.timestamp DESC, e.id DESC LIMIT 1) AS path
          FROM ${stalledRows(f, stalled)} AS s
        ) last
        GROUP BY path HAVING path IS NOT NULL ORDER BY count DESC, path ${f.binaryCollation}${all ? sql`` : sql` LIMIT ${EVIDENCE_LIMIT}`}`,
  );
  return rows.map((r) => ({ path: String(r.path), count: Number(r.count) }));
}

/** Where a flag's evidence comes from: raw events ({@link rawFlagEvidence}) or the per-person state. */
export interface FlagEvidenceSource {
  /** Top failed-call codes of the stalled persons (see {@link stalledErrors}). */
  errors(range: Range, stalled: Array<[number, number]>): Promise<ErrorCount[]>;
  /** Top last pages of the stalled persons (see {@link stalledLastPages}). */
  lastPages(range: Range, stalled: Array<[number, number]>): Promise<Array<{ path: string; count: number }>>;
}

/** The evidence read from raw events. */
export function rawFlagEvidence(database: SqlDatabase): FlagEvidenceSource {
  return {
    errors: (range, stalled) => stalledErrors(database, range, stalled),
    lastPages: (range, stalled) => stalledLastPages(database, range, stalled),
  };
}
