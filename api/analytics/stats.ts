/**
 * Pure statistics used by every report. No SQL here: query files hand these functions plain numbers.
 * Conventions: a rate with a zero denominator is `null` (never NaN or Infinity); percentiles of nothing are `null`.
 */
import type { HistogramBin, SurvivalPoint } from './contract.ts';
import { sortAscending } from './typed-arrays.ts';

/** `numerator / denominator`, or `null` when the denominator is 0, so JSON never carries NaN or Infinity. */
export function rate(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

/**
 * Percentile with linear interpolation between closest ranks (the "R-7" / Excel PERCENTILE.INC / numpy default rule):
 * rank h = (n − 1)·p over the ascending values. `sorted` must already be ascending.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (h - lo) * (b - a);
}

/**
 * Moves the k-th smallest of `values` to index k, the smaller ones before it and the larger after (Hoare's
 * selection, median-of-three pivots): O(n) on average, where a sort is O(n log n).
 */
function selectKth(values: Float64Array, k: number, from = 0, to = values.length - 1): void {
  let lo = from;
  let hi = to;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const a = values[lo]!;
    const b = values[mid]!;
    const c = values[hi]!;
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i++] = values[j]!;
        values[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/**
 * {@link percentileSorted} over values in any order, without sorting them: the two closest ranks are selected in
 * place (`values` is reordered). Ascending `ps` reuse the previous selection's split.
 *
 * @example
 * percentilesInPlace(Float64Array.of(3, 1, 2), [0.5, 0.9]); // [2, 2.8]
 */
export function percentilesInPlace(values: Float64Array, ps: readonly number[]): Array<number | null> {
  const n = values.length;
  let done = 0;
  return ps.map((p) => {
    if (n === 0) return null;
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    selectKth(values, lo, lo >= done ? done : 0);
    done = lo;
    const a = values[lo]!;
    if (lo + 1 >= n) return a;
    // The next rank up is the smallest value after `lo`, which the selection left unordered.
    let b = values[lo + 1]!;
    for (let i = lo + 2; i < n; i++) if (values[i]! < b) b = values[i]!;
    return a + (h - lo) * (b - a);
  });
}

/** Sorts a copy ascending (numerically) and returns the requested percentiles. */
export function percentiles<K extends string>(values: ArrayLike<number>, wanted: Record<K, number>): Record<K, number | null> {
  const sorted = sortAscending(Float64Array.from(values));
  const out = {} as Record<K, number | null>;
  for (const key of Object.keys(wanted) as K[]) out[key] = percentileSorted(sorted, wanted[key]);
  return out;
}

/**
 * Percentile over a frequency table (value → count), with the same linear interpolation as `percentileSorted`,
 * so SQL can return `GROUP BY value` counts instead of every row.
 */
export function percentileFromCounts(entries: ReadonlyArray<readonly [value: number, count: number]>, p: number): number | null {
  const sorted = [...entries].filter(([, c]) => c > 0).sort((x, y) => x[0] - y[0]);
  const n = sorted.reduce((sum, [, c]) => sum + c, 0);
  if (n === 0) return null;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const valueAt = (rank: number) => {
    let seen = 0;
    for (const [value, count] of sorted) {
      seen += count;
      if (rank < seen) return value;
    }
    return sorted[sorted.length - 1]![0];
  };
  const a = valueAt(lo);
  const b = valueAt(Math.min(lo + 1, n - 1));
  return a + (h - lo) * (b - a);
}

/** erfc(x) for x ≥ 0, Abramowitz–Stegun 7.1.26 (absolute error < 1.5e-7); computed directly, so tiny tails stay > 0. */
function erfc(x: number): number {
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return poly * Math.exp(-x * x);
}

/** Standard normal cumulative distribution. */
export function normalCdf(z: number): number {
  const tail = erfc(Math.abs(z) / Math.SQRT2) / 2;
  return z >= 0 ? 1 - tail : tail;
}

export interface ZTestResult {
  z: number;
  /** Two-sided p-value. */
  p: number;
}

/**
 * Two-proportion z-test with the pooled proportion: z = (p2 − p1) / sqrt(p̂(1 − p̂)(1/n1 + 1/n2)).
 * Returns null when either n is 0 or the pooled rate is 0 or 1 (no variance, nothing to test).
 */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): ZTestResult | null {
  if (n1 <= 0 || n2 <= 0) return null;
  const pooled = (x1 + x2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (!(variance > 0)) return null;
  const z = (x2 / n2 - x1 / n1) / Math.sqrt(variance);
  return { z, p: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) };
}

/** Lower bound of the 95% Wilson score interval for `positive` successes out of `total`; null when total is 0. */
export function wilsonLower(positive: number, total: number, z = 1.959963984540054): number | null {
  if (total <= 0) return null;
  const phat = positive / total;
  const z2 = z * z;
  const centre = phat + z2 / (2 * total);
  const margin = z * Math.sqrt((phat * (1 - phat) + z2 / (4 * total)) / total);
  return Math.max(0, (centre - margin) / (1 + z2 / total));
}

const MINUTE = 60;
const HOUR = 3_600;
const DAY = 86_400;
/**
 * Bin edges in seconds, on the scale people read onboarding times: minutes, hours, days. Time to a first successful
 * call spans seconds to weeks, so equal-width bins (PostHog's time-to-convert default) put nearly everyone in the
 * first bin; these edges keep the interesting early range readable and still show the long tail.
 */
export const HISTOGRAM_EDGES = [
  0,
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  4 * HOUR,
  8 * HOUR,
  DAY,
  2 * DAY,
  3 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
];

/**
 * Histogram over HISTOGRAM_EDGES: bins are [from, to); the last edge's bin is open-ended and reported up to the
 * maximum. Bins from the first to the last non-empty one are returned, empty ones between included, so the shape
 * stays honest. `sorted` must be ascending.
 */
export function histogram(sorted: ArrayLike<number>): HistogramBin[] {
  const n = sorted.length;
  if (n === 0) return [];
  const counts = new Array<number>(HISTOGRAM_EDGES.length).fill(0);
  let bin = 0;
  for (let i = 0; i < n; i++) {
    const value = sorted[i]!;
    while (bin + 1 < HISTOGRAM_EDGES.length && value >= HISTOGRAM_EDGES[bin + 1]!) bin += 1;
    counts[bin]! += 1;
  }
  const first = counts.findIndex((c) => c > 0);
  const last = counts.length - 1 - [...counts].reverse().findIndex((c) => c > 0);
  const out: HistogramBin[] = [];
  for (let i = first; i <= last; i++) {
    const open = i === HISTOGRAM_EDGES.length - 1;
    out.push({
      fromSeconds: HISTOGRAM_EDGES[i]!,
      toSeconds: open ? Math.max(sorted[n - 1]!, HISTOGRAM_EDGES[i]!) : HISTOGRAM_EDGES[i + 1]!,
      count: counts[i]!,
    });
  }
  return out;
}

/** A Kaplan–Meier curve in typed arrays: step `i` (below `length`) is at `seconds[i]` with `survival[i]`. */
export interface SurvivalCurve {
  median: number | null;
  seconds: Float64Array;
  survival: Float64Array;
  length: number;
}

/**
 * Kaplan–Meier estimate of "not yet completed" over time, from durations already sorted ascending: `done` are
 * observed durations, `censored` those of persons still unfinished at the end of the range. At equal times,
 * completions are applied before censorings (the usual convention: a person censored at t was still at risk at t).
 * Every step of the curve, starting at (0, 1), and the median: the first time survival drops to ≤ 0.5 (null when it
 * never does).
 *
 * @example
 * kaplanMeierSorted(Float64Array.of(1, 3), Float64Array.of(2)).median; // 3
 */
export function kaplanMeierSorted(done: ArrayLike<number>, censored: ArrayLike<number>): SurvivalCurve {
  const seconds = new Float64Array(done.length + 1);
  const survival = new Float64Array(done.length + 1);
  survival[0] = 1;
  let length = 1;
  let atRisk = done.length + censored.length;
  let current = 1;
  let median: number | null = null;
  let i = 0;
  let j = 0;
  while (i < done.length) {
    const t = done[i]!;
    // Persons censored strictly before t leave the risk set first.
    while (j < censored.length && censored[j]! < t) {
      atRisk -= 1;
      j += 1;
    }
    let events = 0;
    while (i < done.length && done[i] === t) {
      events += 1;
      i += 1;
    }
    current *= 1 - events / atRisk;
    atRisk -= events;
    if (seconds[length - 1] === t) survival[length - 1] = current;
    else {
      seconds[length] = t;
      survival[length++] = current;
    }
    // Tolerance: products like 0.75 × 2/3 land a hair above 0.5 in floating point.
    if (median === null && current <= 0.5 + 1e-12) median = t;
  }
  return { median, seconds, survival, length };
}

/** {@link kaplanMeierSorted} of unsorted durations, with every step as a point. */
export function kaplanMeier(completed: ArrayLike<number>, censored: ArrayLike<number>): { median: number | null; points: SurvivalPoint[] } {
  const curve = kaplanMeierSorted(sortAscending(Float64Array.from(completed)), sortAscending(Float64Array.from(censored)));
  return { median: curve.median, points: curvePoints(curve, curve.length) };
}

/**
 * A survival curve's points, kept readable: at most `max`, evenly spaced over the steps, always the first and the
 * last. Only the points kept are built.
 */
export function curvePoints(curve: SurvivalCurve, max = 500): SurvivalPoint[] {
  const { seconds, survival, length } = curve;
  const point = (i: number): SurvivalPoint => ({ seconds: seconds[i]!, survival: survival[i]! });
  if (length <= max) return Array.from({ length }, (_, i) => point(i));
  const step = (length - 1) / (max - 1);
  return Array.from({ length: max }, (_, k) => point(Math.round(k * step)));
}

/** Persons each period needs before a change of a rate between periods is tested. */
export const MIN_PERIOD_SAMPLE = 30;

/**
 * p of the two-sided two-proportion z-test of rate x2/n2 (this period) against x1/n1 (the previous one), or null
 * when either period has fewer than MIN_PERIOD_SAMPLE in its denominator or the test has no variance.
 */
export function proportionChangeP(x1: number, n1: number, x2: number, n2: number): number | null {
  if (n1 < MIN_PERIOD_SAMPLE || n2 < MIN_PERIOD_SAMPLE) return null;
  return twoProportionZTest(x1, n1, x2, n2)?.p ?? null;
}
