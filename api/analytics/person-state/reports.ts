/**
 * The funnel and TTFSI read from the per-person state (snapshot.ts) instead of streaming raw events: the events
 * each person hands to the funnel kernel (funnel-evaluate.ts) and the rows TTFSI collects are the ones the SQL
 * streams (funnel-query.ts, ttfsi-query.ts) would give, built from the milestones and the first successful call.
 * Anything the state does not hold (page views or calls as steps, property filters, a breakdown, strict order, which
 * counts every event between steps) still streams raw events.
 */

import type { SqlDatabase } from '../../storage/sql/interface.ts';
import { FIRST_SUCCESSFUL_CALL } from '../contract.ts';
import type { DocsPageViewSource } from '../docs-query.ts';
import type { FunnelEvent } from '../funnel-evaluate.ts';
import type { FunnelParams } from '../funnel-params.ts';
import { type FunnelPersonStream, streamFunnelPersons } from '../funnel-query.ts';
import type { TtfsiParams } from '../params.ts';
import { streamTtfsi, type TtfsiStream } from '../ttfsi-query.ts';
import { docsPageViewsFromState } from './docs-views.ts';
import { isMilestone } from './milestones.ts';
import { createPageViewSnapshot } from './page-view-snapshot.ts';
import { createPersonStateSnapshot, type StateView } from './snapshot.ts';
import type { NameCodes } from './state-arrays.ts';

/** Whether every event of `names` is in the state: a milestone or the virtual first successful call. */
const inState = (names: readonly string[]) => names.every((name) => name === FIRST_SUCCESSFUL_CALL || isMilestone(name));

/** Whether the state answers funnel `p` exactly as the raw-event stream does. */
export function stateAnswersFunnel(p: FunnelParams): boolean {
  const exclusions = p.exclusions ?? [];
  return (
    p.order !== 'strict' &&
    p.breakdown === undefined &&
    (p.globalFilters ?? []).length === 0 &&
    (p.stepFilters ?? []).every((filters) => filters.length === 0) &&
    exclusions.every((x) => (x.properties ?? []).length === 0) &&
    inState([...p.steps, ...exclusions.map((x) => x.event)])
  );
}

/** Whether the state answers TTFSI `p` exactly as the raw-event stream does. */
export function stateAnswersTtfsi(p: TtfsiParams): boolean {
  return inState([p.start, p.end]);
}

/** Per name code, the bits `bitsOf(name)` gives; undefined when a name may have milestones but no code of its own. */
function bitsByCode(names: NameCodes, entries: ReadonlyArray<[event: string, bits: number]>): Uint32Array | undefined {
  const byCode = new Uint32Array(names.size);
  for (const [event, bits] of entries) {
    if (event === FIRST_SUCCESSFUL_CALL) continue;
    const code = names.lookup(event);
    if (code === undefined) {
      if (names.overflowed) return undefined;
      continue;
    }
    byCode[code]! |= bits;
  }
  return byCode;
}

/** The entries' bits that the virtual first-successful-call row carries. */
const firstSuccessBits = (entries: ReadonlyArray<[event: string, bits: number]>) =>
  entries.reduce((bits, [event, b]) => (event === FIRST_SUCCESSFUL_CALL ? bits | b : bits), 0);

/** The virtual first-successful-call event (id −1: before the person's milestones at the same instant). */
const successEvent = (ts: number, mask: number, exclusionMask: number): FunnelEvent => ({ ts, id: -1, mask, exclusionMask, source: -1 });

/**
 * Hands each person's funnel events over [from, to] to `onPerson`, in person order, as `streamFunnelPersons` does
 * for the same funnel: sorted by (time, id), milestones with their position as id and the first successful call
 * with id −1, so events at one instant keep storage order. Returns false when the state cannot answer.
 */
function funnelFromState(
  view: StateView,
  p: FunnelParams,
  range: { from: number; to: number },
  onPerson: (pid: number, events: FunnelEvent[]) => void,
): boolean {
  const steps = p.steps.map((event, k): [string, number] => [event, 1 << k]);
  const exclusions = (p.exclusions ?? []).map((x): [string, number] => {
    let bits = 0;
    for (let j = x.fromStep; j < x.toStep; j++) bits |= 1 << j;
    return [x.event, bits];
  });
  const masks = bitsByCode(view.names, steps);
  const excluding = bitsByCode(view.names, exclusions);
  if (!masks || !excluding) return false;
  const successMask = firstSuccessBits(steps);
  const successExclusion = firstSuccessBits(exclusions);
  const usesSuccess = (successMask | successExclusion) !== 0;
  const { from, to } = range;
  // A person none of whose events can start an attempt (step 1; any step in any order) is not counted by any funnel
  // view, so their events are not built at all.
  const entry = p.order === 'any' ? (1 << p.steps.length) - 1 : 1;
  view.visit((pid, times, codes, start, end, firstSuccess) => {
    let events: FunnelEvent[] | undefined;
    let enters = false;
    let success = usesSuccess && firstSuccess >= from && firstSuccess <= to;
    for (let i = start; i < end; i++) {
      const ts = times[i]!;
      if (ts < from) continue;
      if (ts > to) break;
      const code = codes[i]!;
      const mask = masks[code] ?? 0;
      const exclusionMask = excluding[code] ?? 0;
      if (mask === 0 && exclusionMask === 0) continue;
      events ??= [];
      if (success && firstSuccess <= ts) {
        events.push(successEvent(firstSuccess, successMask, successExclusion));
        enters ||= (successMask & entry) !== 0;
        success = false;
      }
      events.push({ ts, id: i - start, mask, exclusionMask, source: 0 });
      enters ||= (mask & entry) !== 0;
    }
    if (success) {
      (events ??= []).push(successEvent(firstSuccess, successMask, successExclusion));
      enters ||= (successMask & entry) !== 0;
    }
    if (events && enters) onPerson(pid, events);
  });
  return true;
}

/** The first time in [start, end) at or after `after` and at most `to` of a milestone coded `code`; NaN if none. */
function firstAt(times: Float64Array, codes: Uint16Array, start: number, end: number, code: number, after: number, to: number): number {
  for (let i = start; i < end; i++) {
    const ts = times[i]!;
    if (ts > to) return Number.NaN;
    if (ts >= after && codes[i] === code) return ts;
  }
  return Number.NaN;
}

/**
 * TTFSI's rows from the state, as `streamTtfsi` gives them: a person started at their first start event in
 * [from, to] and completed at their first end event in [start, to] (the first successful call: only when it is in
 * there). Returns false when the state cannot answer.
 */
function ttfsiFromState(view: StateView, p: TtfsiParams, onRow: Parameters<TtfsiStream>[1]): boolean {
  const code = (event: string) => (event === FIRST_SUCCESSFUL_CALL ? -1 : view.names.lookup(event));
  const startCode = code(p.start);
  const endCode = code(p.end);
  if (view.names.overflowed && (startCode === undefined || endCode === undefined)) return false;
  // No milestone of that name was ever stored: nobody starts, or nobody completes.
  if (startCode === undefined) return true;
  view.visit((_pid, times, codes, start, end, firstSuccess) => {
    const st =
      startCode === -1
        ? firstSuccess >= p.from && firstSuccess <= p.to
          ? firstSuccess
          : Number.NaN
        : firstAt(times, codes, start, end, startCode, p.from, p.to);
    if (Number.isNaN(st)) return;
    const done =
      endCode === undefined
        ? Number.NaN
        : endCode === -1
          ? firstSuccess >= st && firstSuccess <= p.to
            ? firstSuccess
            : Number.NaN
          : firstAt(times, codes, start, end, endCode, st, p.to);
    onRow({ start: st, seconds: Number.isNaN(done) ? null : (done - st) / 1000 });
  });
  return true;
}

/**
 * The funnel and TTFSI sources of one database (from its per-person state when it can answer, else raw events), and
 * the docs report's page views (always from the state).
 */
export interface PersonStateReports {
  funnel: FunnelPersonStream;
  ttfsi: TtfsiStream;
  docs: DocsPageViewSource;
  /** Loads the snapshot now (or brings it up to date). */
  warm(): Promise<void>;
}

/**
 * The report sources of `database` over in-memory snapshots of its per-person state (milestones, page views), each
 * loaded on first use.
 *
 * @example
 * const state = personStateReports(database);
 * await funnelReport(database, params, state.funnel);
 */
export function personStateReports(database: SqlDatabase): PersonStateReports {
  const snapshot = createPersonStateSnapshot(database);
  const pageViews = createPageViewSnapshot(database);
  return {
    docs: docsPageViewsFromState(database, () => pageViews.fresh()),
    async funnel(p, range, onPerson) {
      if (stateAnswersFunnel(p) && funnelFromState(await snapshot.fresh(), p, range, onPerson)) return;
      await streamFunnelPersons(database, p, range, onPerson);
    },
    async ttfsi(p, onRow) {
      if (stateAnswersTtfsi(p) && ttfsiFromState(await snapshot.fresh(), p, onRow)) return;
      await streamTtfsi(database, p, onRow);
    },
    async warm() {
      await snapshot.fresh();
    },
  };
}
