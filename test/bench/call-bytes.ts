/**
 * What a call costs on disk once its raw row is gone, for `npm run bench:scale`: the bytes of each structure that
 * calls leave behind (rollups per bucket width, the per-bucket totals, the per-person call facts, the failures
 * before a first success, each with its indexes), per call, from SQLite's `dbstat`.
 */
import type { Database } from 'better-sqlite3';

/** dbstat names of the structures calls leave behind: tables and their indexes (autoindexes included). */
const CALL_TABLES = ['api_call_rollups', 'api_call_totals', 'person_call_facts', 'first_call_failures'];

/** The bytes calls leave behind in all, and lines describing the bytes per call of each structure. */
export function callBytesBreakdown(sqlite: Database, calls: number): { bytes: number; lines: string[] } {
  const sizes = sqlite.prepare("SELECT name, tbl_name AS tbl FROM sqlite_master WHERE type IN ('table', 'index')").all() as Array<{
    name: string;
    tbl: string;
  }>;
  const pages = new Map(
    (sqlite.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name').all() as Array<{ name: string; bytes: number }>).map((r) => [
      r.name,
      r.bytes,
    ]),
  );
  const lines: string[] = [];
  let total = 0;
  for (const table of CALL_TABLES) {
    for (const { name } of sizes.filter((s) => s.tbl === table)) {
      const bytes = pages.get(name) ?? 0;
      total += bytes;
      lines.push(`${name}: ${(bytes / 1e6).toFixed(2)} MB = ${(bytes / calls).toFixed(2)} B/call`);
    }
  }
  // The rollups' bytes split by bucket width in proportion to the bytes each width's rows hold.
  const rollupBytes = pages.get('api_call_rollups') ?? 0;
  const bySpan = sqlite
    .prepare(
      'SELECT span, COUNT(*) AS n, SUM(calls) AS calls, SUM(LENGTH(sketch)) AS sketch, SUM(LENGTH(sketch) + LENGTH(endpoint) + LENGTH(method) + LENGTH(code) + 16) AS payload FROM api_call_rollups GROUP BY span ORDER BY span',
    )
    .all() as Array<{ span: number; n: number; calls: number; sketch: number; payload: number }>;
  const payload = bySpan.reduce((sum, r) => sum + r.payload, 0);
  for (const r of bySpan) {
    const share = payload > 0 ? (rollupBytes * r.payload) / payload : 0;
    lines.push(
      `  span ${r.span / 60_000} min: ${r.n.toLocaleString('en')} rows, ${(r.calls / r.n).toFixed(1)} calls/row, sketch ${(r.sketch / r.n).toFixed(1)} B/row, ≈ ${(share / calls).toFixed(2)} B/call`,
    );
  }
  lines.push(`calls' structures in all: ${(total / 1e6).toFixed(2)} MB = ${(total / calls).toFixed(2)} B/call`);
  return { bytes: total, lines };
}
