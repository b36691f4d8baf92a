/**
 * The funnel and TTFSI read from the per-person state (snapshot.ts, and page-view-times.ts for funnels with page-view
 * steps) instead of streaming raw events: the events each person hands to the funnel kernel (funnel-evaluate.ts,
 * built in funnel-from-state.ts) and the rows TTFSI collects are the ones the SQL streams (funnel-query.ts,
 * ttfsi-query.ts) would give. Anything the state does not hold (calls as steps, page views in TTFSI, property
 * filters, a breakdown, strict order, which counts every event between steps) still streams raw events.
 */

import type { SqlDatabase } from '../../storage/sql/interface.ts';
import type { DocsPageViewSource } from '../docs-query.ts';
import type { DocsVoteSource } from '../docs-votes.ts';
import type { FunnelEvent } from '../funnel-evaluate.ts';
import { type FunnelParams, parseFunnelParams } from '../funnel-params.ts';
import { type FunnelPersonStream, streamFunnelPersons } from '../funnel-query.ts';
import { parseTtfsiParams, type TtfsiParams } from '../params.ts';
import { rawTtfsiStream, type TtfsiStream } from '../ttfsi-query.ts';
import { docsPageViewsFromState } from './docs-views.ts';
import type { ColumnsVisitor } from './funnel-base-columns.ts';
import { funnelColumnsFromState, funnelFromState, funnelReadsPageViews, inState, stateAnswersFunnel } from './funnel-from-state.ts';
import { createPageViewSnapshot } from './page-view-snapshot.ts';
import { createPageViewTimes } from './page-view-times.ts';
import { createPersonStateSnapshot, type StateView } from './snapshot.ts';
import { votesFromState } from './votes.ts';

export { stateAnswersFunnel };

/** Whether the state answers TTFSI `p` exactly as the raw-event stream does. */
export function stateAnswersTtfsi(p: TtfsiParams): boolean {
  return inState([p.start, p.end]);
}

/**
 * TTFSI's rows from the state over each of `periods`, as `streamTtfsi` gives them for each: a person started at
 * their first start event in [from, to] and completed at their first end event in [start, to] (the first successful
 * call: only when it is in there). The events are the two-step funnel start → end's (funnel-from-state.ts, laid out
 * once per base), walked once over the union of the periods. Returns false when the state cannot answer.
 */
export function ttfsiFromState(
  view: StateView,
  p: TtfsiParams,
  periods: ReadonlyArray<{ from: number; to: number }>,
  onRow: Parameters<TtfsiStream>[2],
): boolean {
  // Start events carry bit 1, end events bit 2 (both, when start and end are one event).
  const asFunnel = { steps: [p.start, p.end], exclusions: [], order: 'ordered' } as unknown as FunnelParams;
  const union = { from: Math.min(...periods.map((x) => x.from)), to: Math.max(...periods.map((x) => x.to)) };
  return funnelColumnsFromState(view, undefined, asFunnel, union, (_pid, events, start, end) => {
    const { ts, mask } = events;
    for (let period = 0; period < periods.length; period++) {
      const { from, to } = periods[period]!;
      let a = start;
      while (a < end && ts[a]! < from) a++;
      let b = a;
      while (b < end && ts[b]! <= to) b++;
      let s = a;
      while (s < b && (mask[s]! & 1) === 0) s++;
      if (s === b) continue;
      const st = ts[s]!;
      // At one instant the first successful call comes before milestones: an end there may precede the start.
      let e = a;
      while (e < b && ((mask[e]! & 2) === 0 || ts[e]! < st)) e++;
      onRow(period, { start: st, seconds: e === b ? null : (ts[e]! - st) / 1000 });
    }
  });
}

/**
 * The funnel and TTFSI sources of one database (from its per-person state when it can answer, else raw events), and
 * the docs report's page views and the latest doc votes of the docs report and the funnel flags (always from memory).
 */
export interface PersonStateReports {
  funnel: FunnelPersonStream;
  ttfsi: TtfsiStream;
  docs: DocsPageViewSource;
  votes: DocsVoteSource;
  /** Loads the snapshots now (or brings them up to date). */
  warm(): Promise<void>;
}

/**
 * The report sources of `database` over in-memory snapshots of its per-person state (milestones, page views and their
 * times, doc votes), each loaded by `warm()` or on first use.
 *
 * @example
 * const state = personStateReports(database);
 * await funnelReport(database, params, state.funnel);
 */
export function personStateReports(database: SqlDatabase): PersonStateReports {
  const snapshot = createPersonStateSnapshot(database);
  const pageViews = createPageViewSnapshot(database);
  // Read only by funnels with a page-view step or exclusion (loaded at warm-up, or by the first of them).
  const viewTimes = createPageViewTimes(database);
  const votes = votesFromState(database);
  return {
    docs: docsPageViewsFromState(database, () => pageViews.fresh()),
    votes,
    funnel: Object.assign(
      async (p: FunnelParams, range: { from: number; to: number }, onPerson: (pid: number, events: FunnelEvent[]) => void) => {
        if (stateAnswersFunnel(p)) {
          const views = funnelReadsPageViews(p) ? await viewTimes.fresh() : undefined;
          if (funnelFromState(await snapshot.fresh(), views, p, range, onPerson)) return;
        }
        await streamFunnelPersons(database, p, range, onPerson);
      },
      {
        async columns(p: FunnelParams, range: { from: number; to: number }, onPerson: ColumnsVisitor, cuts: readonly number[]) {
          if (!stateAnswersFunnel(p)) return false;
          const views = funnelReadsPageViews(p) ? await viewTimes.fresh() : undefined;
          return funnelColumnsFromState(await snapshot.fresh(), views, p, range, onPerson, cuts);
        },
      },
    ),
    async ttfsi(p, periods, onRow) {
      if (stateAnswersTtfsi(p) && ttfsiFromState(await snapshot.fresh(), p, periods, onRow)) return;
      await rawTtfsiStream(database)(p, periods, onRow);
    },
    async warm() {
      // The default funnel's and TTFSI's per-person events are laid out now, not by the first report to ask.
      const view = await snapshot.fresh();
      const allTime = { from: Number.NEGATIVE_INFINITY, to: Number.POSITIVE_INFINITY };
      funnelColumnsFromState(view, undefined, parseFunnelParams({}), allTime, () => {});
      ttfsiFromState(view, parseTtfsiParams({}), [allTime], () => {});
      await pageViews.fresh();
      await viewTimes.fresh();
      await votes.warm();
    },
  };
}
