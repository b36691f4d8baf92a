/**
 * Pure funnel shaping: per-person outcomes (funnel-evaluate.ts) summed into tallies, and tallies shaped into the
 * response's steps and breakdown. Nothing here touches the database.
 */
import { capOptionalText, DEFAULT_BREAKDOWN_LIMIT, type FunnelOrder, type FunnelStep, TEXT_CAPS } from './contract.ts';
import type { PersonOutcome } from './funnel-evaluate.ts';
import { percentilesInPlace, rate } from './stats.ts';
import { NumberList } from './typed-arrays.ts';

export type { FunnelOrder, FunnelStep };

/** Running totals for one funnel (or one breakdown value). */
export interface FunnelTally {
  /** reached[k]: persons who reached step k (0-based). */
  reached: number[];
  /** stalledOpen[k]: persons whose deepest step is k − 1 and whose window was still open at `to`. */
  stalledOpen: number[];
  /** gaps[k]: seconds from step k − 1 to step k, one per person who reached step k. */
  gaps: NumberList[];
}

export function emptyTally(steps: number): FunnelTally {
  return {
    reached: new Array(steps).fill(0),
    stalledOpen: new Array(steps).fill(0),
    gaps: Array.from({ length: steps }, () => new NumberList()),
  };
}

/** A person's outcome as the tallies read it: the kept attempt's step times in a list or in place (funnel-columns.ts). */
export type TallyOutcome = Pick<PersonOutcome, 'depth' | 'start'> & { times: ArrayLike<number> };

/** Adds one person's outcome. A window is "still open" when start + window > to. */
export function addOutcome(tally: FunnelTally, outcome: TallyOutcome, windowMs: number, to: number): void {
  const { depth, times } = outcome;
  if (depth === 0) return;
  for (let k = 0; k < depth; k++) tally.reached[k]! += 1;
  // As PostHog, conversions of exactly 0 seconds are left out of the time statistics (`timings[i] > 0`).
  for (let k = 1; k < depth; k++) if (times[k]! > times[k - 1]!) tally.gaps[k]!.push((times[k]! - times[k - 1]!) / 1000);
  if (depth < tally.reached.length && outcome.start + windowMs > to) tally.stalledOpen[depth]! += 1;
}

/** Folds `from` into `into` (used to build the "Other" breakdown bucket). */
export function mergeTally(into: FunnelTally, from: FunnelTally): void {
  for (let k = 0; k < into.reached.length; k++) {
    into.reached[k]! += from.reached[k]!;
    into.stalledOpen[k]! += from.stalledOpen[k]!;
    const gaps = from.gaps[k]!;
    for (let i = 0; i < gaps.length; i++) into.gaps[k]!.push(gaps.values[i]!);
  }
}

/**
 * The mean of gaps in seconds, added up exactly in whole milliseconds (every step time is a whole millisecond), so
 * the order of the gaps does not matter.
 */
function meanSeconds(gaps: Float64Array): number {
  let ms = 0;
  for (let i = 0; i < gaps.length; i++) ms += Math.round(gaps[i]! * 1000);
  return ms / 1000 / gaps.length;
}

/**
 * Shapes a tally into response steps. For step k ≥ 1, `dropOff + inProgress = count(k−1) − count(k)`: those who
 * reached the previous step but not this one, split by whether their window was still open at `to`. Step 0 has
 * 0 for both. Rates are null when their denominator is 0.
 */
export function shapeSteps(events: readonly string[], tally: FunnelTally, names: readonly string[] = events): FunnelStep[] {
  const start = tally.reached[0] ?? 0;
  return events.map((event, k) => {
    const count = tally.reached[k]!;
    const previous = k === 0 ? count : tally.reached[k - 1]!;
    const stalled = previous - count;
    const inProgress = k === 0 ? 0 : tally.stalledOpen[k]!;
    const gaps = tally.gaps[k]!.copy();
    const [median, p90] = k === 0 ? [null, null] : percentilesInPlace(gaps, [0.5, 0.9]);
    return {
      event,
      name: names[k] ?? event,
      count,
      conversionFromStart: rate(count, start),
      conversionFromPrevious: rate(count, previous),
      dropOff: k === 0 ? 0 : stalled - inProgress,
      inProgress,
      averageSecondsFromPrevious: k === 0 || gaps.length === 0 ? null : meanSeconds(gaps),
      medianSecondsFromPrevious: median ?? null,
      p90SecondsFromPrevious: p90 ?? null,
    };
  });
}

export const OTHER_VALUE = 'Other';

/**
 * Top `limit` values by step-1 count (ties by value), the rest folded into "Other" (appended last, only when
 * non-empty). A missing property is the value null; values are cut to TEXT_CAPS.label.
 */
export function shapeBreakdown(
  events: readonly string[],
  tallies: Map<string | null, FunnelTally>,
  names: readonly string[] = events,
  limit = DEFAULT_BREAKDOWN_LIMIT,
) {
  const ranked = [...tallies.entries()].sort((a, b) => b[1].reached[0]! - a[1].reached[0]! || String(a[0]).localeCompare(String(b[0])));
  const kept = ranked.slice(0, limit);
  const rest = ranked.slice(limit);
  const out = kept.map(([value, tally]) => ({ value: capOptionalText(value, TEXT_CAPS.label), steps: shapeSteps(events, tally, names) }));
  if (rest.length > 0) {
    const other = emptyTally(events.length);
    for (const [, tally] of rest) mergeTally(other, tally);
    out.push({ value: OTHER_VALUE, steps: shapeSteps(events, other, names) });
  }
  return out;
}
