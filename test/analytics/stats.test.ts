import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  histogram,
  kaplanMeier,
  normalCdf,
  percentileFromCounts,
  percentileSorted,
  percentilesInPlace,
  rate,
  twoProportionZTest,
  wilsonLower,
} from '../../api/analytics/stats.ts';
import { isoWeekStart } from '../../api/analytics/ttfsi.ts';

describe('stats', () => {
  it('percentiles interpolate linearly between closest ranks', () => {
    expect(percentileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentileSorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1, 12);
    expect(percentileSorted([7], 0.95)).toBe(7);
    expect(percentileSorted([], 0.5)).toBeNull();
  });

  it('percentiles selected in place equal those of the sorted values', () => {
    const ps = [0, 0.1, 0.5, 0.5, 0.9, 0.99, 1];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), fc.boolean(), (ints, unsortedPs) => {
        // Few distinct values: ties are the hard case of a selection.
        const values = Float64Array.from(ints, (v) => v / 7);
        const sorted = Float64Array.from(values).sort();
        const wanted = unsortedPs ? [...ps].reverse() : ps;
        expect(percentilesInPlace(values, wanted)).toEqual(wanted.map((p) => percentileSorted(sorted, p)));
      }),
      { numRuns: 500 },
    );
    expect(percentilesInPlace(new Float64Array(0), [0.5])).toEqual([null]);
  });

  it('percentiles from a frequency table equal those of the expanded list', () => {
    const entries: Array<[number, number]> = [
      [20, 3],
      [10, 1],
    ];
    expect(percentileFromCounts(entries, 0.25)).toBe(17.5);
    expect(percentileFromCounts(entries, 0.5)).toBe(percentileSorted([10, 20, 20, 20], 0.5));
    expect(percentileFromCounts([], 0.5)).toBeNull();
  });

  it('rates never divide by zero', () => {
    expect(rate(0, 0)).toBeNull();
    expect(rate(1, 4)).toBe(0.25);
  });

  it('Wilson lower bound matches the textbook value for 8/10', () => {
    expect(wilsonLower(8, 10)).toBeCloseTo(0.4902, 4);
    expect(wilsonLower(0, 0)).toBeNull();
    expect(wilsonLower(0, 5)).toBe(0);
  });

  it('two-proportion z-test with pooled variance', () => {
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    const t = twoProportionZTest(60, 100, 45, 100)!;
    expect(t.z).toBeCloseTo(-2.124, 3);
    expect(t.p).toBeCloseTo(0.0337, 4);
    expect(twoProportionZTest(0, 10, 0, 10)).toBeNull();
    // Far tails stay positive instead of rounding to 0.
    const far = twoProportionZTest(900, 1000, 100, 1000)!;
    expect(far.p).toBeGreaterThan(0);
    expect(far.p).toBeLessThan(1e-100);
    expect(twoProportionZTest(1, 0, 1, 10)).toBeNull();
  });

  it('Kaplan–Meier treats unfinished persons as censored', () => {
    const km = kaplanMeier([1, 3], [2]);
    expect(km.points.map((p) => [p.seconds, Number(p.survival.toFixed(4))])).toEqual([
      [0, 1],
      [1, 0.6667],
      [3, 0],
    ]);
    expect(km.median).toBe(3);
    expect(kaplanMeier([], [5]).median).toBeNull();
  });

  it('histogram bins on a minutes-hours-days scale, from the first to the last non-empty bin', () => {
    const rows = (xs: number[]) => histogram(xs).map((b) => [b.fromSeconds, b.toSeconds, b.count]);
    // 59 s is the first minute, 60 s starts the next bin; an empty bin between non-empty ones stays.
    expect(rows([0, 59, 60, 299, 1_000])).toEqual([
      [0, 60, 2],
      [60, 300, 2],
      [300, 900, 0],
      [900, 1_800, 1],
    ]);
    expect(rows([7_200, 7_200])).toEqual([[7_200, 14_400, 2]]);
    // Past 30 days the last bin is open-ended and reported up to the maximum.
    expect(rows([40 * 86_400, 90 * 86_400])).toEqual([[30 * 86_400, 90 * 86_400, 2]]);
    expect(histogram(Array.from({ length: 300_000 }, (_, i) => i * 10)).reduce((n, b) => n + b.count, 0)).toBe(300_000);
    expect(histogram([])).toEqual([]);
  });

  it('weeks start on Monday (UTC)', () => {
    expect(isoWeekStart(Date.UTC(2026, 2, 1, 12))).toBe('2026-02-23'); // a Sunday
    expect(isoWeekStart(Date.UTC(2026, 2, 2))).toBe('2026-03-02'); // a Monday
  });
});
