/**
 * The funnel's per-person events from the per-person state instead of raw events: the milestones and the first
 * successful call (snapshot.ts) and, for funnels with `$pageview` steps or exclusions, the page-view times
 * (page-view-times.ts), walked side by side in person order. Each person gets the events `streamFunnelPersons`
 * (funnel-query.ts) would give for the same funnel, sorted by time.
 */
import { FIRST_SUCCESSFUL_CALL } from '../contract.ts';
import { EventColumns } from '../funnel-columns.ts';
import type { FunnelEvent } from '../funnel-evaluate.ts';
import type { FunnelParams } from '../funnel-params.ts';
import { firstPast } from '../typed-arrays.ts';
import { type ColumnsVisitor, walkKeptColumns } from './funnel-base-columns.ts';
import { isMilestone } from './milestones.ts';
import { PAGE_VIEW } from './page-views.ts';
import type { StateView } from './snapshot.ts';
import type { NameCodes, PersonCursor } from './state-arrays.ts';

/**
 * Whether every event of `names` is in the state: a milestone, the virtual first successful call, or (`pageViews`)
 * a page view.
 */
export const inState = (names: readonly string[], pageViews = false) =>
  names.every((name) => name === FIRST_SUCCESSFUL_CALL || isMilestone(name) || (pageViews && name === PAGE_VIEW));

/** Every step and exclusion event of funnel `p`. */
const eventsOf = (p: FunnelParams) => [...p.steps, ...(p.exclusions ?? []).map((x) => x.event)];

/** Whether the state answers funnel `p` exactly as the raw-event stream does. */
export function stateAnswersFunnel(p: FunnelParams): boolean {
  return (
    p.order !== 'strict' &&
    p.breakdown === undefined &&
    (p.globalFilters ?? []).length === 0 &&
    (p.stepFilters ?? []).every((filters) => filters.length === 0) &&
    (p.exclusions ?? []).every((x) => (x.properties ?? []).length === 0) &&
    inState(eventsOf(p), true)
  );
}

/** Whether funnel `p` has a `$pageview` step or exclusion, so that answering it from the state needs the page views. */
export const funnelReadsPageViews = (p: FunnelParams) => eventsOf(p).includes(PAGE_VIEW);

/** Per name code, the bits of the entries of that name; undefined when a name may have milestones but no code of its own. */
function bitsByCode(names: NameCodes, entries: ReadonlyArray<[event: string, bits: number]>): Uint32Array | undefined {
  const byCode = new Uint32Array(names.size);
  for (const [event, bits] of entries) {
    if (!isMilestone(event) || event === FIRST_SUCCESSFUL_CALL) continue;
    const code = names.lookup(event);
    if (code === undefined) {
      if (names.overflowed) return undefined;
      continue;
    }
    byCode[code]! |= bits;
  }
  return byCode;
}

/** The bits of the entries named `name` (the virtual first successful call, or a page view). */
const bitsOf = (entries: ReadonlyArray<[event: string, bits: number]>, name: string) =>
  entries.reduce((bits, [event, b]) => (event === name ? bits | b : bits), 0);

/** The virtual first successful call's id: before the person's milestones (ids from 0) at the same instant. */
const SUCCESS_ID = -1;

/** Page views' ids: −2, −3, … in the person's order, apart from the milestones' positions and the first success. */
const FIRST_VIEW_ID = -2;

/** What decides a milestone funnel's events per person: its steps, exclusions, and whether any step can start. */
const shapeOf = (p: FunnelParams) => JSON.stringify([p.order === 'any', p.steps, (p.exclusions ?? []).map((x) => [x.event, x.fromStep, x.toStep])]);

/**
 * Hands each person's funnel events over [from, to] to `onPerson` as [start, end) of columns (reused from person to
 * person), in person order, as `streamFunnelPersons` does for the same funnel, sorted by time. Ids only tell one
 * person's events apart: milestones have their position, the first successful call −1, page views −2, −3, …. At one
 * instant the first successful call comes first, then milestones in storage order, then page views; the raw stream
 * gives such ties in no defined order, and the evaluation does not depend on it: events at one instant are grouped,
 * and with masks decided by event names alone two events there either match the same steps and exclusions or share
 * no step (funnel-evaluate.ts). `pageViews` is needed when the funnel reads page views. Returns false, before calling
 * `onPerson`, when the state cannot answer. A view with `parts` and no page-view step answers from the events kept
 * per base (funnel-base-columns.ts).
 *
 * `cuts` (ascending instants) asks for page views to be thinned where that cannot change an ordered funnel's
 * outcome over any period whose bounds are cuts: when a page view fills step 1 only and excludes nothing, a run of
 * them with no other funnel event between (and no cut) keeps its first and its last. An event in the middle of such
 * a run only starts an attempt that the next one replaces before any later step can extend it, and it is not the
 * first step-1 event of the period (that one is the run's first). Other evaluations (any order, trend intervals)
 * need every event and pass no cuts.
 */
export function funnelColumnsFromState(
  view: StateView,
  pageViews: { cursor(): PersonCursor } | undefined,
  p: FunnelParams,
  range: { from: number; to: number },
  onPerson: ColumnsVisitor,
  cuts?: readonly number[],
): boolean {
  const steps = p.steps.map((event, k): [string, number] => [event, 1 << k]);
  const exclusions = (p.exclusions ?? []).map((x): [string, number] => {
    let bits = 0;
    for (let j = x.fromStep; j < x.toStep; j++) bits |= 1 << j;
    return [x.event, bits];
  });
  const masks = bitsByCode(view.names, steps);
  const excluding = bitsByCode(view.names, exclusions);
  const viewMask = bitsOf(steps, PAGE_VIEW);
  const viewExclusion = bitsOf(exclusions, PAGE_VIEW);
  const readsViews = (viewMask | viewExclusion) !== 0;
  if (!masks || !excluding || (readsViews && !pageViews)) return false;
  const successMask = bitsOf(steps, FIRST_SUCCESSFUL_CALL);
  const successExclusion = bitsOf(exclusions, FIRST_SUCCESSFUL_CALL);
  const usesSuccess = (successMask | successExclusion) !== 0;
  const thin = cuts !== undefined && p.order === 'ordered' && viewMask === 1 && viewExclusion === 0;
  const { from, to } = range;
  // A person none of whose events can start an attempt (step 1; any step in any order) is not counted by any funnel
  // view, so their events are not built at all.
  const entry = p.order === 'any' ? (1 << p.steps.length) - 1 : 1;
  const viewsEnter = (viewMask & entry) !== 0;
  if (!readsViews && view.parts) {
    // Milestones only: each base person's events are laid out once per funnel shape and cut to the range.
    const walk = (part: StateView, r: typeof range, visit: ColumnsVisitor) => funnelColumnsFromState(part, undefined, p, r, visit);
    walkKeptColumns(view, view.parts, shapeOf(p), entry, range, walk, onPerson);
    return true;
  }
  const people = view.cursor();
  const views = readsViews ? pageViews!.cursor() : undefined;
  const events = new EventColumns();
  const emit: ViewEmitter = { events, viewMask, viewExclusion, cuts: thin ? cuts : undefined, viewTimes: EMPTY, viewBase: 0, end: 0 };
  people.next();
  views?.next();
  // Loops, not callbacks: this runs once per person, where a closure each costs more than building the events.
  for (;;) {
    const pid = views && views.pid < people.pid ? views.pid : people.pid;
    if (pid === Number.POSITIVE_INFINITY) break;
    const hasMilestones = people.pid === pid;
    const hasViews = views !== undefined && views.pid === pid;
    const { times, codes } = people;
    const base = people.start;
    const iEnd = hasMilestones ? people.end : 0;
    const firstSuccess = hasMilestones ? people.firstSuccess : Number.NaN;
    // The person's page views inside [from, to]: [firstView, emit.end), pushed up to k so far.
    let k = 0;
    emit.end = 0;
    if (hasViews) {
      emit.viewTimes = views.times;
      emit.viewBase = views.start;
      k = firstPast(views.times, views.start, views.end, from, true);
      emit.end = firstPast(views.times, k, views.end, to + 1, true);
    }
    const firstView = k;
    events.reset();
    let enters = false;
    let success = usesSuccess && firstSuccess >= from && firstSuccess <= to;
    for (let i = hasMilestones ? base : 0; i < iEnd; i++) {
      const ts = times[i]!;
      if (ts < from) continue;
      if (ts > to) break;
      const code = codes[i]!;
      const mask = masks[code] ?? 0;
      const exclusionMask = excluding[code] ?? 0;
      if (mask === 0 && exclusionMask === 0) continue;
      if (success && firstSuccess <= ts) {
        if (k < emit.end) k = emitViews(emit, k, firstSuccess);
        events.push(firstSuccess, SUCCESS_ID, successMask, successExclusion);
        enters ||= (successMask & entry) !== 0;
        success = false;
      }
      if (k < emit.end) k = emitViews(emit, k, ts);
      events.push(ts, i - base, mask, exclusionMask);
      enters ||= (mask & entry) !== 0;
    }
    if (success) {
      if (k < emit.end) k = emitViews(emit, k, firstSuccess);
      events.push(firstSuccess, SUCCESS_ID, successMask, successExclusion);
      enters ||= (successMask & entry) !== 0;
    }
    if (k < emit.end) emitViews(emit, k, Number.POSITIVE_INFINITY);
    enters ||= viewsEnter && emit.end > firstView;
    if (enters) onPerson(pid, events, 0, events.length);
    if (hasMilestones) people.next();
    if (hasViews) views.next();
  }
  return true;
}

const EMPTY = new Float64Array(0);

/** Where one person's page views go: the columns, the views' masks, the cuts when thinning, and their times. */
interface ViewEmitter {
  events: EventColumns;
  viewMask: number;
  viewExclusion: number;
  /** Thinning: a run of views between two other events keeps its first and last per stretch between cuts. */
  cuts: readonly number[] | undefined;
  viewTimes: Float64Array;
  /** Index of the person's first page view (their ids count from it). */
  viewBase: number;
  /** End of the person's views inside the range. */
  end: number;
}

/**
 * Pushes the views from `k` (before `e.end`) that come before an event at `bound` (those earlier than it: at one
 * instant milestones and the first success come first) and returns where the next ones start. Thinning keeps, of each stretch of them
 * between cuts, the first and the last, found by binary search: a heavy reader's hundreds of views cost a few steps.
 */
function emitViews(e: ViewEmitter, k: number, bound: number): number {
  const { events, viewTimes, viewBase, cuts, end } = e;
  if (viewTimes[k]! >= bound) return k;
  const stop = bound === Number.POSITIVE_INFINITY ? end : firstPast(viewTimes, k, end, bound, true);
  if (!cuts) {
    for (let n = k; n < stop; n++) events.push(viewTimes[n]!, FIRST_VIEW_ID - (n - viewBase), e.viewMask, e.viewExclusion);
    return stop;
  }
  let a = k;
  let c = 0;
  while (a < stop) {
    // The stretch of [a, stop) before the first cut after view a's time.
    while (c < cuts.length && cuts[c]! <= viewTimes[a]!) c++;
    const b = c < cuts.length ? firstPast(viewTimes, a, stop, cuts[c]!, true) : stop;
    events.push(viewTimes[a]!, FIRST_VIEW_ID - (a - viewBase), e.viewMask, e.viewExclusion);
    if (b - a >= 2) events.push(viewTimes[b - 1]!, FIRST_VIEW_ID - (b - 1 - viewBase), e.viewMask, e.viewExclusion);
    a = b;
  }
  return stop;
}

/**
 * {@link funnelColumnsFromState} with each person's events as a list of `FunnelEvent`s, for the evaluations that take
 * lists.
 */
export function funnelFromState(
  view: StateView,
  pageViews: { cursor(): PersonCursor } | undefined,
  p: FunnelParams,
  range: { from: number; to: number },
  onPerson: (pid: number, events: FunnelEvent[]) => void,
): boolean {
  return funnelColumnsFromState(view, pageViews, p, range, (pid, events, start, end) => onPerson(pid, events.events(start, end)));
}
