/**
 * Pure funnel logic: per-person evaluation (ordered, strict, any order) and shaping of the aggregated counts.
 * The SQL side (funnel-query.ts) streams one person's rows at a time into `evaluatePerson`; nothing here touches
 * the database.
 *
 * Semantics (PostHog's, see README "Reports API"):
 * - a person's events are taken in (timestamp, step order) order: at equal times the event of the earlier step
 *   comes first, and events that match no step ("other" events, only streamed for strict funnels) come last;
 * - every step-1 event starts a new attempt; the window is [step-1 time, step-1 time + window], inclusive;
 * - a later step must come after the previous step in that order (same timestamp allowed) and must be a different
 *   event occurrence;
 * - the person counts once, at the deepest step of any attempt; timings and the in-progress test come from the
 *   latest-starting attempt among those that reached that depth.
 */
import { capOptionalText, type FunnelOrder, type FunnelStep, TEXT_CAPS } from './contract.ts';
import { percentileSorted, rate } from './stats.ts';

export type { FunnelOrder, FunnelStep };

/** One event of one person, reduced to what the funnel needs. `mask` has bit k set when it matches step k. */
export interface FunnelEvent {
  ts: number;
  mask: number;
  id: number;
  /** Where the row came from (the query's row code), so the caller can look the event up again. */
  source?: number;
  /** Strict funnels: how many of the person's events (any name) are before this timestamp, and at it. */
  before?: number;
  atSameTime?: number;
}

export interface PersonOutcome {
  /** Number of steps reached, 0..steps (0: never did step 1 in range). */
  depth: number;
  /** Step-1 time of the chosen attempt (NaN when depth is 0). */
  start: number;
  /** Times at which the chosen attempt reached each step, `depth` entries. */
  times: number[];
  /** That first step-1 event (any step for any-order funnels): the breakdown's first touch. */
  entry: FunnelEvent | undefined;
}

interface Attempt {
  id: number;
  start: number;
  times: number[];
}

function lowestBit(mask: number, steps: number): number {
  if (mask === 0) return steps;
  return 31 - Math.clz32(mask & -mask);
}

/**
 * Sorts one person's events into funnel order and merges rows that are the same event (the first successful call
 * arrives both as an `api_call` row and as the virtual-step row).
 */
export function prepareEvents(rows: FunnelEvent[], steps: number): FunnelEvent[] {
  rows.sort((a, b) => a.ts - b.ts || a.id - b.id);
  const merged: FunnelEvent[] = [];
  for (const row of rows) {
    const last = merged[merged.length - 1];
    if (last && last.id === row.id) {
      last.mask |= row.mask;
      // The merged event is looked up again (breakdown) as the named step's row, whichever row came first.
      if ((last.source ?? 0) < 0 && (row.source ?? 0) >= 0) last.source = row.source;
    } else merged.push({ ...row });
  }
  merged.sort((a, b) => a.ts - b.ts || lowestBit(a.mask, steps) - lowestBit(b.mask, steps) || a.id - b.id);
  return merged;
}

/**
 * Strict funnels: adds a placeholder "other" event (mask 0) wherever the person's event counts show events that
 * are not step rows: between two consecutive timestamps of step rows, or at a step timestamp after its step rows
 * (at equal times other events sort after step events). Rows must come from `prepareEvents` and carry counts.
 */
export function insertOtherEvents(events: FunnelEvent[]): FunnelEvent[] {
  const out: FunnelEvent[] = [];
  let i = 0;
  let otherId = -1e15;
  while (i < events.length) {
    const group = events[i]!;
    let j = i;
    while (j < events.length && events[j]!.ts === group.ts) out.push(events[j++]!);
    const stepRowsHere = j - i;
    const after = (group.before ?? 0) + (group.atSameTime ?? 0);
    const next = events[j];
    const othersHere = (group.atSameTime ?? 0) > stepRowsHere;
    const othersBetween = next !== undefined && (next.before ?? 0) > after;
    if (othersHere || othersBetween) out.push({ ts: group.ts, mask: 0, id: otherId++ });
    i = j;
  }
  return out;
}

/** Ordered and strict funnels: PostHog's single-pass state machine, one latest attempt per step. */
function evaluateSequential(events: FunnelEvent[], steps: number, windowMs: number, strict: boolean) {
  const entered: Array<Attempt | null> = new Array(steps).fill(null);
  let depth = 0;
  let best: Attempt | null = null;
  let attempts = 0;
  for (const ev of events) {
    // Deepest step first, so one event never advances two steps of the same attempt.
    for (let k = steps - 1; k >= 0; k--) {
      if ((ev.mask & (1 << k)) === 0) continue;
      let next: Attempt;
      if (k === 0) {
        next = { id: attempts++, start: ev.ts, times: [ev.ts] };
      } else {
        const prev = entered[k - 1];
        if (!prev || ev.ts - prev.start > windowMs) continue;
        if (entered[k]?.id === prev.id) continue;
        next = { id: prev.id, start: prev.start, times: [...prev.times, ev.ts] };
      }
      entered[k] = next;
      if (k + 1 >= depth) {
        depth = k + 1;
        best = next;
      }
    }
    if (strict) {
      for (let k = 0; k < steps; k++) if ((ev.mask & (1 << k)) === 0) entered[k] = null;
    }
  }
  return { depth, best };
}

/**
 * Any-order funnels: every event matching a step starts an attempt whose window is [its time, time + window];
 * the attempt reaches as many steps as distinct step matches inside the window. `preferMask` marks steps that
 * only some events can fill (the virtual first_successful_call), which such events fill first.
 */
function evaluateAnyOrder(events: FunnelEvent[], steps: number, windowMs: number, preferMask: number) {
  let depth = 0;
  let best: Attempt | null = null;
  let startIdx = 0;
  while (startIdx < events.length) {
    const start = events[startIdx]!.ts;
    if (events[startIdx]!.mask === 0) {
      startIdx++;
      continue;
    }
    let filled = 0;
    const times: number[] = [];
    for (let j = startIdx; j < events.length && events[j]!.ts - start <= windowMs; j++) {
      const free = events[j]!.mask & ~filled;
      if (free === 0) continue;
      const pick = (free & preferMask) !== 0 ? free & preferMask : free;
      filled |= pick & -pick;
      times.push(events[j]!.ts);
      if (times.length === steps) break;
    }
    if (times.length >= depth) {
      depth = times.length;
      best = { id: startIdx, start, times };
    }
    while (startIdx < events.length && events[startIdx]!.ts === start) startIdx++;
  }
  return { depth, best };
}

/**
 * Evaluates one person. `events` must come from `prepareEvents`. `preferMask` only matters for any-order funnels.
 */
export function evaluatePerson(events: FunnelEvent[], opts: { steps: number; windowMs: number; order: FunnelOrder; preferMask?: number }): PersonOutcome {
  const { steps, windowMs, order } = opts;
  const { depth, best } =
    order === 'any' ? evaluateAnyOrder(events, steps, windowMs, opts.preferMask ?? 0) : evaluateSequential(events, steps, windowMs, order === 'strict');
  const entryMask = order === 'any' ? (1 << steps) - 1 : 1;
  const first = events.find((e) => (e.mask & entryMask) !== 0);
  return {
    depth,
    start: best ? best.start : Number.NaN,
    times: best ? best.times.slice(0, depth) : [],
    entry: first,
  };
}

/** Running totals for one funnel (or one breakdown value). */
export interface FunnelTally {
  /** reached[k]: persons who reached step k (0-based). */
  reached: number[];
  /** stalledOpen[k]: persons whose deepest step is k − 1 and whose window was still open at `to`. */
  stalledOpen: number[];
  /** gaps[k]: seconds from step k − 1 to step k, one per person who reached step k. */
  gaps: number[][];
}

export function emptyTally(steps: number): FunnelTally {
  return {
    reached: new Array(steps).fill(0),
    stalledOpen: new Array(steps).fill(0),
    gaps: Array.from({ length: steps }, () => []),
  };
}

/** Adds one person's outcome. A window is "still open" when start + window > to. */
export function addOutcome(tally: FunnelTally, outcome: PersonOutcome, windowMs: number, to: number): void {
  const { depth, times } = outcome;
  if (depth === 0) return;
  for (let k = 0; k < depth; k++) tally.reached[k]! += 1;
  for (let k = 1; k < depth; k++) tally.gaps[k]!.push((times[k]! - times[k - 1]!) / 1000);
  if (depth < tally.reached.length && outcome.start + windowMs > to) tally.stalledOpen[depth]! += 1;
}

/** Folds `from` into `into` (used to build the "Other" breakdown bucket). */
export function mergeTally(into: FunnelTally, from: FunnelTally): void {
  for (let k = 0; k < into.reached.length; k++) {
    into.reached[k]! += from.reached[k]!;
    into.stalledOpen[k]! += from.stalledOpen[k]!;
    for (const g of from.gaps[k]!) into.gaps[k]!.push(g);
  }
}

/**
 * Shapes a tally into response steps. For step k ≥ 1, `dropOff + inProgress = count(k−1) − count(k)`: those who
 * reached the previous step but not this one, split by whether their window was still open at `to`. Step 0 has
 * 0 for both. Rates are null when their denominator is 0.
 */
export function shapeSteps(names: readonly string[], tally: FunnelTally): FunnelStep[] {
  const start = tally.reached[0] ?? 0;
  return names.map((event, k) => {
    const count = tally.reached[k]!;
    const previous = k === 0 ? count : tally.reached[k - 1]!;
    const stalled = previous - count;
    const inProgress = k === 0 ? 0 : tally.stalledOpen[k]!;
    const gaps = Float64Array.from(tally.gaps[k]!).sort();
    return {
      event,
      count,
      conversionFromStart: rate(count, start),
      conversionFromPrevious: rate(count, previous),
      dropOff: k === 0 ? 0 : stalled - inProgress,
      inProgress,
      medianSecondsFromPrevious: k === 0 ? null : percentileSorted(gaps, 0.5),
      p90SecondsFromPrevious: k === 0 ? null : percentileSorted(gaps, 0.9),
    };
  });
}

/** Breakdown values kept by name; the rest are summed into "Other". */
export const BREAKDOWN_LIMIT = 25;
export const OTHER_VALUE = 'Other';

/**
 * Top `BREAKDOWN_LIMIT` values by step-1 count (ties by value), the rest folded into "Other" (appended last,
 * only when non-empty). A missing property is the value null; values are cut to TEXT_CAPS.label.
 */
export function shapeBreakdown(names: readonly string[], tallies: Map<string | null, FunnelTally>) {
  const ranked = [...tallies.entries()].sort((a, b) => b[1].reached[0]! - a[1].reached[0]! || String(a[0]).localeCompare(String(b[0])));
  const kept = ranked.slice(0, BREAKDOWN_LIMIT);
  const rest = ranked.slice(BREAKDOWN_LIMIT);
  const out = kept.map(([value, tally]) => ({ value: capOptionalText(value, TEXT_CAPS.label), steps: shapeSteps(names, tally) }));
  if (rest.length > 0) {
    const other = emptyTally(names.length);
    for (const [, tally] of rest) mergeTally(other, tally);
    out.push({ value: OTHER_VALUE, steps: shapeSteps(names, other) });
  }
  return out;
}
