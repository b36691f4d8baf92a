/**
 * Per-person funnel evaluation, as PostHog's `aggregate_funnel` UDF defines it (steps.rs for ordered and strict
 * funnels, unordered_steps.rs for any order). Pure: the SQL side (funnel-query.ts) hands in one person's events.
 *
 * Ordered and strict:
 * - events are taken timestamp by timestamp; each step-1 event starts an attempt whose window is
 *   [its time, its time + window], inclusive; a later step extends the latest attempt that reached the step before;
 * - events at one timestamp have no order: when they differ, each (event, step) pair is tried in step order, so an
 *   event may fill any step it matches and one event never fills two steps of one attempt; strictness and exclusions
 *   are not applied inside such a group (as PostHog);
 * - the person counts at the deepest step, with the timings of the FIRST attempt that reached it; a later attempt
 *   replaces it only when it goes strictly deeper, or at the same depth when the kept one is excluded;
 * - an exclusion event inside an attempt's window, after its step n and before its step m, excludes that attempt; a
 *   person whose kept attempt is excluded is not counted at all.
 * Any order: every step-matching event starts an attempt; the attempt reaches as many steps as distinct events in
 * its window can fill (a maximum matching), progress stops at an exclusion event, and the first attempt reaching
 * the deepest step is kept. Exclusions never remove the person there.
 */
import type { FunnelOrder } from './contract.ts';
import { columnsOutcome, EventColumns, evaluatePlain, plainOptions } from './funnel-columns.ts';

/** One event of one person. `mask` bit k: it fills step k; `exclusionMask` bit j: it excludes attempts stuck at step j. */
export interface FunnelEvent {
  ts: number;
  mask: number;
  id: number;
  exclusionMask?: number;
  /** The breakdown property's value on this event (null: absent or empty). */
  value?: string | null;
  /** Where the row came from (the query's row code). */
  source?: number;
  /** Strict funnels: how many of the person's events (any name) are before this timestamp, and at it. */
  before?: number;
  atSameTime?: number;
}

export interface PersonOutcome {
  /** Number of steps reached, 0..steps (0: not counted). */
  depth: number;
  /** Step-1 time of the kept attempt (NaN when depth is 0). */
  start: number;
  /** Times at which the kept attempt reached each step, `depth` entries. */
  times: number[];
}

export interface EvaluateOptions {
  steps: number;
  windowMs: number;
  order: FunnelOrder;
  /** Step attribution: the step whose events must carry `value` (PostHog's `step_k` attribution). */
  attribution?: { step: number; value: string | null } | undefined;
  /** Only attempts starting inside [from, to] (a trend interval). */
  startWithin?: { from: number; to: number } | undefined;
}

const NOT_COUNTED: PersonOutcome = { depth: 0, start: Number.NaN, times: [] };

const byTimeThenId = (a: FunnelEvent, b: FunnelEvent) => a.ts - b.ts || a.id - b.id;

/** Sorts one person's events by time and merges rows that are the same stored event (their masks are OR-ed). */
export function prepareEvents(rows: FunnelEvent[]): FunnelEvent[] {
  rows.sort(byTimeThenId);
  const merged: FunnelEvent[] = [];
  for (const row of rows) {
    const last = merged[merged.length - 1];
    if (last && last.id === row.id) {
      last.mask |= row.mask;
      last.exclusionMask = (last.exclusionMask ?? 0) | (row.exclusionMask ?? 0);
      if ((last.source ?? 0) < 0 && (row.source ?? 0) >= 0) last.source = row.source;
    } else merged.push({ ...row });
  }
  return merged;
}

/**
 * Strict funnels: adds a placeholder "other" event (mask 0) wherever the person's event counts show events that
 * are not streamed rows: between two consecutive timestamps of rows, or at a row timestamp beside its rows.
 */
export function insertOtherEvents(events: FunnelEvent[]): FunnelEvent[] {
  const out: FunnelEvent[] = [];
  let i = 0;
  let otherId = -1e15;
  while (i < events.length) {
    const group = events[i]!;
    let j = i;
    while (j < events.length && events[j]!.ts === group.ts) out.push(events[j++]!);
    const after = (group.before ?? 0) + (group.atSameTime ?? 0);
    const next = events[j];
    const othersHere = (group.atSameTime ?? 0) > j - i;
    const othersBetween = next !== undefined && (next.before ?? 0) > after;
    // Others at a step's instant share its timestamp (a tie, where PostHog does not apply strictness); others
    // between two instants get a time strictly between them (timestamps are whole milliseconds).
    if (othersHere) out.push({ ts: group.ts, mask: 0, id: otherId++ });
    if (othersBetween) out.push({ ts: group.ts + 0.5, mask: 0, id: otherId++ });
    i = j;
  }
  return out;
}

/** The attempt that reached one step: its step-1 time, whether it is excluded, and what filled each step. */
interface Entered {
  start: number;
  excluded: boolean;
  times: number[];
  ids: number[];
}

/**
 * One run of {@link evaluateSequential}: `entered[d]` is the latest attempt at depth d; `kept` the kept attempt, its
 * depth and a copy of its state (an exclusion may mark the copy, not the live attempt). Passed to module-level
 * functions rather than closed over: a closure per evaluated person costs more than the evaluation itself.
 */
interface SequentialRun {
  o: EvaluateOptions;
  strict: boolean;
  entered: Array<Entered | null>;
  kept: { depth: number; state: Entered | null };
}

const inWindow = (prev: Entered | null, ts: number, windowMs: number): prev is Entered => prev !== null && ts - prev.start <= windowMs;

/** One event (or one (event, step) pair of a tie group) through the attempts: exclusions first, then steps. */
function processEvent(run: SequentialRun, ev: FunnelEvent, mask: number, exclusionMask: number, inGroup: boolean): void {
  const { o, entered, kept } = run;
  const { steps, windowMs } = o;
  for (let j = steps - 1; j >= 0; j--) {
    if ((exclusionMask & (1 << j)) === 0) continue;
    const prev = entered[j + 1]!;
    if (!inWindow(prev, ev.ts, windowMs) || entered[j + 2]?.start === prev.start || prev.excluded) continue;
    prev.excluded = true;
    if (kept.depth === j + 1 && kept.state && ev.ts - kept.state.start <= windowMs) kept.state = { ...kept.state, excluded: true };
  }
  for (let k = steps - 1; k >= 0; k--) {
    if ((mask & (1 << k)) === 0) continue;
    const prev = entered[k] ?? null;
    if (!inWindow(prev, ev.ts, windowMs) || entered[k + 1]?.start === prev.start) continue;
    if (o.attribution && o.attribution.step === k && ev.value !== o.attribution.value) continue;
    if (inGroup && prev.ids.includes(ev.id)) continue;
    const next: Entered = { start: prev.start, excluded: prev.excluded, times: [...prev.times, ev.ts], ids: [...prev.ids, ev.id] };
    if (!prev.excluded) entered[k + 1] = next;
    if (k + 1 > kept.depth || (k + 1 === kept.depth && kept.state?.excluded)) {
      kept.depth = k + 1;
      kept.state = { ...next };
    }
  }
  // Strict: every step the event does not match is cleared. A step-1 event outside a trend interval still
  // matches step 1 (it only may not start an attempt), so it keeps that interval's step-1 entry (trends.rs).
  if (run.strict && !inGroup) for (let d = 1; d <= steps; d++) if ((ev.mask & (1 << (d - 1))) === 0) entered[d] = null;
}

/** The steps `ev` may fill in a group at `ts`: step 1 only when an attempt may start then (trend intervals). */
const startMask = (ev: FunnelEvent, ts: number, o: EvaluateOptions) =>
  o.startWithin && (ts < o.startWithin.from || ts > o.startWithin.to) ? ev.mask & ~1 : ev.mask;

/** Whether every event of events[i, j) has the masks of events[i]. */
function sameMasks(events: FunnelEvent[], i: number, j: number): boolean {
  const first = events[i]!;
  for (let n = i + 1; n < j; n++) if (events[n]!.mask !== first.mask || (events[n]!.exclusionMask ?? 0) !== (first.exclusionMask ?? 0)) return false;
  return true;
}

const byStep = (a: [FunnelEvent, number], b: [FunnelEvent, number]) => a[1] - b[1];

/** Ordered and strict funnels: the port of PostHog's steps.rs. */
function evaluateSequential(events: FunnelEvent[], o: EvaluateOptions): PersonOutcome {
  const { steps } = o;
  const run: SequentialRun = { o, strict: o.order === 'strict', entered: new Array(steps + 1).fill(null), kept: { depth: 0, state: null } };
  const { entered, kept } = run;
  let i = 0;
  while (i < events.length && entered[steps] === null) {
    const ts = events[i]!.ts;
    let j = i;
    while (j < events.length && events[j]!.ts === ts) j++;
    entered[0] = { start: ts, excluded: false, times: [], ids: [] };
    if (j - i === 1 || sameMasks(events, i, j)) {
      for (let n = i; n < j; n++) processEvent(run, events[n]!, startMask(events[n]!, ts, o), events[n]!.exclusionMask ?? 0, false);
      i = j;
      continue;
    }
    // Different events at one instant: every (event, step) pair, in step order; exclusions left out (PostHog).
    const pairs: Array<[FunnelEvent, number]> = [];
    for (let n = i; n < j; n++) for (let k = 0; k < steps; k++) if (startMask(events[n]!, ts, o) & (1 << k)) pairs.push([events[n]!, k]);
    pairs.sort(byStep);
    for (const [ev, k] of pairs) processEvent(run, ev, 1 << k, 0, true);
    i = j;
  }
  if (kept.depth === 0 || !kept.state || kept.state.excluded) return NOT_COUNTED;
  return { depth: kept.depth, start: kept.state.start, times: kept.state.times.slice(0, kept.depth) };
}

/** Scratch columns and outcome of {@link evaluateOrderedPlain}. */
const plainColumns = new EventColumns();
const plainOutcome = columnsOutcome();

/**
 * {@link evaluateSequential} for the most common case, without allocating per event (`evaluatePlain` in
 * funnel-columns.ts, which the report over per-person state calls directly). Returns undefined when the case does
 * not hold, and the general evaluation runs instead.
 */
function evaluateOrderedPlain(events: FunnelEvent[], o: EvaluateOptions): PersonOutcome | undefined {
  if (!plainOptions(o)) return undefined;
  plainColumns.reset();
  for (const ev of events) plainColumns.push(ev.ts, ev.id, ev.mask, ev.exclusionMask ?? 0);
  if (!evaluatePlain(plainColumns, 0, events.length, o, plainOutcome)) return undefined;
  const { depth, start, times } = plainOutcome;
  return depth === 0 ? NOT_COUNTED : { depth, start, times: Array.from(times.subarray(0, depth)) };
}

/** Grows a maximum matching of events to steps by one augmenting path from `event` (Kuhn's algorithm). */
function augment(events: FunnelEvent[], masks: number[], event: number, owner: number[], seen: boolean[]): boolean {
  for (let k = 0; k < owner.length; k++) {
    if ((masks[event]! & (1 << k)) === 0 || seen[k]) continue;
    seen[k] = true;
    if (owner[k] === -1 || augment(events, masks, owner[k]!, owner, seen)) {
      owner[k] = event;
      return true;
    }
  }
  return false;
}

/** Any-order funnels: see the module comment. */
function evaluateAnyOrder(events: FunnelEvent[], o: EvaluateOptions): PersonOutcome {
  const { steps, windowMs } = o;
  const masks = events.map((ev) =>
    o.attribution && o.attribution.step === 0 && ev.value !== o.attribution.value ? ev.mask & ~(1 << o.attribution.step) : ev.mask,
  );
  // An exclusion at the same instant as a step event is ignored (PostHog).
  const stepTimes = new Set(events.filter((_, n) => masks[n] !== 0).map((ev) => ev.ts));
  const exclusionTimes = events.filter((ev) => (ev.exclusionMask ?? 0) !== 0 && !stepTimes.has(ev.ts)).map((ev) => ev.ts);
  let best = NOT_COUNTED;
  let previousStart = Number.NaN;
  for (let s = 0; s < events.length; s++) {
    const start = events[s]!.ts;
    if (masks[s] === 0 || start === previousStart) continue;
    if (o.startWithin && (start < o.startWithin.from || start > o.startWithin.to)) continue;
    previousStart = start;
    const stop = Math.min(start + windowMs + 1, ...exclusionTimes.filter((t) => t > start));
    const owner: number[] = new Array(steps).fill(-1);
    const times: number[] = [];
    for (let n = s; n < events.length && events[n]!.ts < stop && times.length < steps; n++) {
      if (masks[n] !== 0 && augment(events, masks, n, owner, new Array(steps).fill(false))) times.push(events[n]!.ts);
    }
    if (times.length > best.depth) best = { depth: times.length, start, times };
    if (best.depth === steps) break;
  }
  return best;
}

/** Evaluates one person. `events` must come from `prepareEvents` (and `insertOtherEvents` for strict funnels). */
export function evaluatePerson(events: FunnelEvent[], opts: EvaluateOptions): PersonOutcome {
  if (opts.order === 'any') return evaluateAnyOrder(events, opts);
  return evaluateOrderedPlain(events, opts) ?? evaluateSequential(events, opts);
}

/** A value is empty when absent, null or the empty string (it never decides a first or last touch). */
const isEmpty = (v: string | null | undefined): v is null | undefined => v === null || v === undefined || v === '';

/**
 * The breakdown values a person is evaluated under: first touch (earliest non-empty value among the step events),
 * last touch (the latest), or, for `step` attribution, every distinct value on the person's step-k events.
 */
export function attributionValues(events: FunnelEvent[], attribution: 'first_touch' | 'last_touch' | 'step', step = 0): Array<string | null> {
  if (attribution === 'step') {
    const values = new Set<string | null>();
    for (const ev of events) if (ev.mask & (1 << step)) values.add(isEmpty(ev.value) ? null : ev.value);
    return [...values];
  }
  const stepEvents = events.filter((ev) => ev.mask !== 0 && !isEmpty(ev.value));
  const pick = attribution === 'first_touch' ? stepEvents[0] : stepEvents[stepEvents.length - 1];
  return [pick?.value ?? null];
}
