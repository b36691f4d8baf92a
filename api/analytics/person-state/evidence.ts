/**
 * A flagged funnel step's evidence from the per-person data in memory (evidence-snapshot.ts) instead of raw events:
 * the same numbers as flags-query.ts's raw queries, which still answer the few persons the kept data cannot (a
 * failure at or after a first success, a full list of kept failures, a last page view after the range). Past the
 * retention of raw calls the failures kept before a first success are still counted.
 */
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import type { ErrorCount } from '../contract.ts';
import { type FlagEvidenceSource, failedCallsByPerson, stalledLastPages, topEvidence } from '../flags-query.ts';
import { createEvidenceSnapshot } from './evidence-snapshot.ts';
import { errorsFromFacts, lastPagesFromState } from './evidence-state.ts';

/**
 * The evidence source of `database` over one in-memory copy of its per-person evidence data, loaded on first use.
 *
 * @example
 * const report = await funnelReport(database, params, state.funnel, stateFlagEvidence(database));
 */
export function stateFlagEvidence(database: SqlDatabase): FlagEvidenceSource & { warm(): Promise<void> } {
  const snapshot = createEvidenceSnapshot(database);
  return {
    /** Loads the copy now (or brings it up to date). */
    async warm() {
      await snapshot.fresh();
    },
    async errors(range, stalled) {
      if (stalled.length === 0) return [];
      const facts = errorsFromFacts(await snapshot.fresh(), stalled, range.to);
      for (const row of await failedCallsByPerson(database, range.to, facts.raw)) {
        const tally = facts.byCode.get(row.code);
        const counted = facts.codesOf.get(row.pid)?.has(row.code) ?? false;
        if (tally) {
          tally.count += row.count;
          if (!counted) tally.persons++;
        } else facts.byCode.set(row.code, { count: row.count, persons: 1 });
      }
      const rows: ErrorCount[] = [...facts.byCode].map(([code, t]) => ({ code, count: t.count, persons: t.persons }));
      return topEvidence(rows, (row) => row.code);
    },
    async lastPages(range, stalled) {
      if (stalled.length === 0) return [];
      const pages = lastPagesFromState(await snapshot.fresh(), stalled, range.from, range.to);
      for (const row of await stalledLastPages(database, range, pages.raw, true)) pages.byPath.set(row.path, (pages.byPath.get(row.path) ?? 0) + row.count);
      return topEvidence(
        [...pages.byPath].map(([path, count]) => ({ path, count })),
        (row) => row.path,
      );
    },
  };
}
