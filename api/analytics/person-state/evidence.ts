/**
 * A flagged funnel step's evidence from the per-person data in memory (evidence-snapshot.ts) instead of raw events:
 * the same numbers as flags-query.ts's raw queries. Failures the call facts do not keep (at or after a first success,
 * past a full list of kept failures) come from the copy of every failed call (failed-calls.ts), which reads persons
 * changed since from raw calls; a last page view after the range from raw page views. Past the retention of raw
 * calls the failures kept before a first success are still counted, and the others no more than raw calls hold.
 */
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import type { ErrorCount } from '../contract.ts';
import { type FlagEvidenceSource, stalledLastPages, topEvidence } from '../flags-query.ts';
import { createEvidenceSnapshot } from './evidence-snapshot.ts';
import { errorsFromFacts, lastPagesFromState } from './evidence-state.ts';
import { createFailedCalls } from './failed-calls.ts';

/**
 * The evidence source of `database` over in-memory copies of its per-person evidence data and failed calls, loaded on
 * first use.
 *
 * @example
 * const report = await funnelReport(database, params, state.funnel, stateFlagEvidence(database));
 */
export function stateFlagEvidence(database: SqlDatabase): FlagEvidenceSource & { warm(): Promise<void> } {
  const snapshot = createEvidenceSnapshot(database);
  const failed = createFailedCalls(database);
  return {
    /** Loads the copies now (or brings them up to date). */
    async warm() {
      await snapshot.fresh();
      await failed.warm();
    },
    async errors(range, stalled) {
      if (stalled.length === 0) return [];
      const facts = errorsFromFacts(await snapshot.fresh(), stalled, range.to);
      const rest = facts.raw.length === 0 ? [] : await failed.byPerson(facts.raw, range.to);
      for (const row of rest) {
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
