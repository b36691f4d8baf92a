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

/** Persons who stalled at one step, in the order the run met them: `pids[i]` stalled in the attempt started at `since[i]`. */
export interface StalledList {
  pids: Float64Array;
  since: Float64Array;
  length: number;
}

/**
 * Persons whose deepest step is `k` steps reached (so they stalled before step index k), with their attempt start.
 * Typed arrays, not a pair per person: at a million developers a step has hundreds of thousands.
 */
export function stalledAt(stalls: StallIndex, k: number): StalledList {
  let length = 0;
  for (let i = 0; i < stalls.length; i++) if (stalls.depths[i] === k) length++;
  const pids = new Float64Array(length);
  const since = new Float64Array(length);
  for (let i = 0, n = 0; i < stalls.length; i++) {
    if (stalls.depths[i] !== k) continue;
    pids[n] = stalls.pids[i]!;
    since[n++] = stalls.starts[i]!;
  }
  return { pids, since, length };
}

/** The persons of `stalled` as `(pid, since)` pairs, for the raw-event queries that bind them as rows. */
export function stalledPairs(stalled: StalledList): Array<[number, number]> {
  return Array.from({ length: stalled.length }, (_, i): [number, number] => [stalled.pids[i]!, stalled.since[i]!]);
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
  errors(range: Range, stalled: StalledList): Promise<ErrorCount[]>;
  /** Top last pages of the stalled persons (see {@link stalledLastPages}). */
  lastPages(range: Range, stalled: StalledList): Promise<Array<{ path: string; count: number }>>;
}

/** The evidence read from raw events. */
export function rawFlagEvidence(database: SqlDatabase): FlagEvidenceSource {
  return {
    errors: (range, stalled) => stalledErrors(database, range, stalledPairs(stalled)),
    lastPages: (range, stalled) => stalledLastPages(database, range, stalledPairs(stalled)),
  };
}
