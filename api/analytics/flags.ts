/**
 * Pure detection of flagged funnel steps. Evidence rows (errors, last pages) come from flags-query.ts.
 */
import type { Flag, FlagEvidence, FlagKind, FunnelStep, Severity } from './contract.ts';
import { twoProportionZTest } from './stats.ts';

export type { Flag, FlagEvidence, FlagKind, Severity };

/** Persons needed in the previous step's count, in each period, before the z-test is trusted. */
export const MIN_TEST_SAMPLE = 30;
export const SIGNIFICANCE = 0.05;

export type DetectedFlag = Omit<Flag, 'evidence'> & Pick<FlagEvidence, 'previousRate' | 'currentRate' | 'p'>;

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
const pValue = (p: number) => `p = ${p < 0.001 ? p.toExponential(1) : p.toPrecision(2)}`;
const duration = (s: number) =>
  s < 120 ? `${Math.round(s)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : s < 172_800 ? `${(s / 3600).toFixed(1)} h` : `${(s / 86_400).toFixed(1)} d`;

/**
 * The z-test of one step's conversionFromPrevious against the previous period: x = count of step k, n = count of
 * step k − 1 (in-progress persons included), both as reported. Null when either n is under MIN_TEST_SAMPLE or
 * there is no variance.
 */
export function testStep(current: FunnelStep[], previous: FunnelStep[] | undefined, k: number) {
  if (!previous || k === 0) return null;
  const n1 = previous[k - 1]!.count;
  const n2 = current[k - 1]!.count;
  if (n1 < MIN_TEST_SAMPLE || n2 < MIN_TEST_SAMPLE) return null;
  return twoProportionZTest(previous[k]!.count, n1, current[k]!.count, n2);
}

/**
 * Finds flags, in step order then kind order:
 * - significant_drop: conversionFromPrevious fell and the two-sided two-proportion z-test gives p < 0.05
 *   (severity high when p < 0.01, else medium);
 * - low_conversion: conversionFromPrevious < minConversion (high when under half the threshold, else medium);
 * - slowest_step: the step with the longest medianSecondsFromPrevious (severity low; first on ties).
 * Step 0 is never flagged: it has no previous step.
 */
export function detectFlags(current: FunnelStep[], previous: FunnelStep[] | undefined, minConversion: number): DetectedFlag[] {
  const flags: DetectedFlag[] = [];
  let slowest = -1;
  for (let k = 1; k < current.length; k++) {
    const median = current[k]!.medianSecondsFromPrevious;
    if (median !== null && (slowest < 0 || median > current[slowest]!.medianSecondsFromPrevious!)) slowest = k;
  }
  for (let k = 1; k < current.length; k++) {
    const step = current[k]!;
    const name = `Step ${k + 1} (${step.event})`;
    const currentRate = step.conversionFromPrevious;
    const previousRate = previous?.[k]?.conversionFromPrevious ?? null;
    const test = testStep(current, previous, k);
    const p = test?.p ?? null;
    const base = { step: k, event: step.event, previousRate, currentRate, p };
    if (test && p !== null && p < SIGNIFICANCE && test.z < 0) {
      flags.push({
        ...base,
        kind: 'significant_drop',
        severity: p < 0.01 ? 'high' : 'medium',
        message: `${name}: conversion from the previous step fell from ${pct(previousRate)} to ${pct(currentRate)} against the previous period (${pValue(p)}).`,
      });
    }
    if (currentRate !== null && currentRate < minConversion) {
      flags.push({
        ...base,
        kind: 'low_conversion',
        severity: currentRate < minConversion / 2 ? 'high' : 'medium',
        message: `${name}: only ${pct(currentRate)} of persons reach it from the previous step (threshold ${pct(minConversion)}).`,
      });
    }
    if (k === slowest) {
      flags.push({
        ...base,
        kind: 'slowest_step',
        severity: 'low',
        message: `${name}: slowest step, median ${duration(step.medianSecondsFromPrevious!)} from the previous step (p90 ${duration(step.p90SecondsFromPrevious ?? 0)}).`,
      });
    }
  }
  return flags;
}
