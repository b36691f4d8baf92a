/**
 * PostgreSQL side of a flag's evidence (api/analytics/flags-query.ts). The stalled persons are bound as two
 * arrays read with `unnest`, instead of SQLite's JSON array read with `json_each`.
 */
import { sql } from 'drizzle-orm';
import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { EVIDENCE_LIMIT } from '../flags-query.ts';
import type { Range } from '../params.ts';
import { pgRows } from './query.ts';
import { BINARY } from './sql.ts';

/** Top outcome codes of the stalled persons' failed calls since their attempt's start, as {@link stalledErrors}. */
export async function stalledErrorsPg(db: OnrampPgDb, range: Range, stalled: Array<[number, number]>) {
  if (stalled.length === 0) return [];
  return pgRows<{ code: string; count: number }>(
    db,
    sql`SELECT e.call_error_code AS code, COUNT(*) AS count
        FROM unnest(${sql.param(stalled.map((s) => s[0]))}::bigint[], ${sql.param(stalled.map((s) => s[1]))}::bigint[]) AS s(pid, since)
        JOIN events e ON e.person_id = s.pid AND e.timestamp BETWEEN s.since AND ${range.to} AND e.call_error_code IS NOT NULL
        GROUP BY e.call_error_code ORDER BY count DESC, e.call_error_code ${BINARY} LIMIT ${EVIDENCE_LIMIT}`,
  );
}

/**
 * The `$pathname` of each stalled person's last `$pageview` in [from, to], counted per path, as
 * {@link stalledLastPages}. Of page views at the same last instant the latest stored wins, which is the row
 * SQLite's backward index scan meets first. LATERAL, so the last page is looked up once per person (a scalar
 * subquery would be repeated for each of its uses).
 */
export async function stalledLastPagesPg(db: OnrampPgDb, range: Range, stalled: Array<[number, number]>) {
  if (stalled.length === 0) return [];
  return pgRows<{ path: string; count: number }>(
    db,
    sql`SELECT last.path AS path, COUNT(*) AS count
        FROM unnest(${sql.param(stalled.map((s) => s[0]))}::bigint[]) AS s(pid)
        CROSS JOIN LATERAL (
          SELECT e.properties->>'$pathname' AS path FROM events e
          WHERE e.event = '$pageview' AND e.person_id = s.pid AND e.timestamp BETWEEN ${range.from} AND ${range.to}
          ORDER BY e.timestamp DESC, e.id DESC LIMIT 1
        ) last
        WHERE last.path IS NOT NULL
        GROUP BY last.path ORDER BY count DESC, last.path ${BINARY} LIMIT ${EVIDENCE_LIMIT}`,
  );
}
