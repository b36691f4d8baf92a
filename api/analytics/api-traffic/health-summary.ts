/**
 * Pure sums over rollup rows: calls, rated errors, 5xx, status classes and the merged latency sketch. The API health
 * report and its series both summarize rollups this way, so their figures agree.
 */
import { isRatedError, STATUS_CLASSES, type StatusClass, statusClass, UNVERIFIED } from './call.ts';
import type { RollupSums } from './rollup-read.ts';
import { LatencySketch } from './sketch.ts';

/** Running totals of a set of rollup rows. */
export interface TrafficTotals {
  calls: number;
  /** Calls that count in `errorRate`: all but those refused for a key the API could not verify. */
  rated: number;
  /** Rated calls with status >= 500, or 400–499 except 429. */
  errors: number;
  /** Calls with status 500–599: what availability counts as failed. */
  serverErrors: number;
  byStatusClass: Record<StatusClass, number>;
  sketch: LatencySketch;
}

/** Empty totals. */
export function emptyTotals(): TrafficTotals {
  return {
    calls: 0,
    rated: 0,
    errors: 0,
    serverErrors: 0,
    // A literal rather than built from STATUS_CLASSES: applying a chunk makes one per bucket touched.
    byStatusClass: { '2xx': 0, '3xx': 0, '4xx': 0, '429': 0, '5xx': 0 } satisfies Record<StatusClass, number>,
    sketch: new LatencySketch(),
  };
}

/** Empties `totals` in place, keeping its sketch's storage. */
export function clearTotals(totals: TrafficTotals): void {
  totals.calls = 0;
  totals.rated = 0;
  totals.errors = 0;
  totals.serverErrors = 0;
  for (const cls of STATUS_CLASSES) totals.byStatusClass[cls] = 0;
  totals.sketch.clear();
}

/** Adds `calls` calls of one status and flags to the counts of `totals` (not to its sketch). */
export function countCalls(totals: TrafficTotals, status: number, flags: number, calls: number): void {
  totals.calls += calls;
  if ((flags & UNVERIFIED) === 0) {
    totals.rated += calls;
    if (isRatedError(status)) totals.errors += calls;
  }
  if (status >= 500 && status < 600) totals.serverErrors += calls;
  const cls = statusClass(status);
  if (cls) totals.byStatusClass[cls] += calls;
}

/** Adds one rollup row to `totals`. */
export function addRow(totals: TrafficTotals, row: RollupSums): void {
  countCalls(totals, row.status, row.flags, row.calls);
  totals.sketch.addEncoded(row.sketch);
}

/** Adds the counts of `from` to those of `into`, not the sketches. */
export function addCounts(into: Omit<TrafficTotals, 'sketch'>, from: Omit<TrafficTotals, 'sketch'>): void {
  into.calls += from.calls;
  into.rated += from.rated;
  into.errors += from.errors;
  into.serverErrors += from.serverErrors;
  for (const cls of STATUS_CLASSES) into.byStatusClass[cls] += from.byStatusClass[cls];
}

/** Adds the totals `from` to `into`. */
export function addTotals(into: TrafficTotals, from: TrafficTotals): void {
  addCounts(into, from);
  into.sketch.addSketch(from.sketch);
}

/** errorRate and p50 / p95 / p99 of `totals` (nulls without calls or durations). */
export function latencyOf(totals: TrafficTotals) {
  const [p50Ms, p95Ms, p99Ms] = totals.sketch.quantiles([0.5, 0.95, 0.99]);
  return { calls: totals.calls, errorRate: totals.rated > 0 ? totals.errors / totals.rated : null, p50Ms: p50Ms!, p95Ms: p95Ms!, p99Ms: p99Ms! };
}

/** Availability capped at six nines: what `nines` reports when no call failed with a 5xx. */
export const MAX_NINES = 6;

/**
 * Request-based availability (Google SRE book): 1 − 5xx ÷ calls; `nines` = −log10(1 − availability) to one decimal,
 * at most {@link MAX_NINES}; the SLO budget left is the share of the 5xx the target allows that were not spent
 * (negative once over budget). All null without calls.
 */
export function availabilityOf(totals: Pick<TrafficTotals, 'calls' | 'serverErrors'>, sloTarget: number) {
  if (totals.calls === 0) return { availability: null, nines: null, slo: { target: sloTarget, errorBudgetRemaining: null } };
  const failedShare = totals.serverErrors / totals.calls;
  const nines = failedShare === 0 ? MAX_NINES : Math.min(MAX_NINES, Math.round(-Math.log10(failedShare) * 10) / 10 + 0);
  const allowed = 1 - sloTarget;
  return { availability: 1 - failedShare, nines, slo: { target: sloTarget, errorBudgetRemaining: 1 - failedShare / allowed } };
}
