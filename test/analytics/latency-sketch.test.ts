/**
 * `LatencySketch` on its own: quantiles within 1% of the exact interpolated percentile over durations spanning many
 * orders of magnitude (bins far apart, below and above 1 ms, and zeros), and the same quantiles whichever way
 * sketches are combined: added call by call, merged, or decoded from their stored forms laid end to end; and
 * `SketchBins`, what the series reads a point's quantiles from, answering as the sketch it was decoded from.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencySketch, SketchBins } from '../../api/analytics/api-traffic/sketch.ts';

const QS = [0, 0.01, 0.5, 0.95, 0.99, 1];

function exactPercentile(sorted: readonly number[], q: number): number {
  const rank = q * (sorted.length - 1);
  const lo = Math.floor(rank);
  return lo === rank ? sorted[lo]! : sorted[lo]! + (rank - lo) * (sorted[lo + 1]! - sorted[lo]!);
}

function sketchOf(values: readonly number[]): LatencySketch {
  const sketch = new LatencySketch();
  for (const v of values) sketch.add(v);
  return sketch;
}

const duration = fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 1e9, noNaN: true }), fc.integer({ min: 1, max: 5_000 }));

describe('LatencySketch', () => {
  it('answers quantiles within 1% of exact, and the same after encoding, merging or concatenating', () => {
    fc.assert(
      fc.property(fc.array(duration, { minLength: 1, maxLength: 400 }), fc.array(duration, { maxLength: 400 }), (a, b) => {
        const all = [...a, ...b].sort((x, y) => x - y);
        const whole = sketchOf(all);
        whole.quantiles(QS).forEach((value, i) => {
          const exact = exactPercentile(all, QS[i]!);
          expect(Math.abs(value! - exact)).toBeLessThanOrEqual(0.01 * exact + 1e-9);
        });
        const merged = sketchOf(a);
        merged.addSketch(sketchOf(b));
        const decoded = new LatencySketch();
        decoded.addEncoded(Buffer.concat([sketchOf(a).encode(), sketchOf(b).encode()]));
        const reencoded = new LatencySketch();
        reencoded.addEncoded(decoded.encode());
        for (const other of [merged, decoded, reencoded]) {
          expect(other.count).toBe(all.length);
          expect(other.quantiles(QS)).toEqual(whole.quantiles(QS));
        }
        expect(reencoded.encode()).toEqual(whole.encode());
      }),
      { numRuns: 200, seed: 20261207 },
    );
  });

  it('is empty again after clear, and ignores negative and non-finite durations', () => {
    const sketch = sketchOf([5, 50, 500, -1, Number.NaN, Number.POSITIVE_INFINITY]);
    expect(sketch.count).toBe(3);
    sketch.clear();
    expect(sketch.quantiles([0.5])).toEqual([null]);
    sketch.add(7);
    expect(Math.abs(sketch.quantiles([0.5])[0]! - 7)).toBeLessThanOrEqual(0.07);
    expect(sketch.encode()).toEqual(sketchOf([7]).encode());
  });

  it('reads quantiles asked in any order as when asked one at a time, from the sketch or its decoded bins', () => {
    fc.assert(
      fc.property(fc.array(duration, { minLength: 1, maxLength: 300 }), fc.shuffledSubarray(QS, { minLength: 1 }), (values, qs) => {
        const sketch = sketchOf(values);
        const oneByOne = qs.map((q) => sketch.quantiles([q])[0]);
        expect(sketch.quantiles(qs)).toEqual(oneByOne);
        const bins = new SketchBins();
        expect(bins.decode(sketch.encode())).toBe(true);
        expect(bins.count).toBe(values.length);
        expect(bins.quantiles(qs)).toEqual(oneByOne);
      }),
      { numRuns: 200, seed: 20261207 },
    );
  });

  it('refuses to decode several stored sketches laid end to end into bins, and answers nulls when empty', () => {
    const bins = new SketchBins();
    expect(bins.decode(Buffer.concat([sketchOf([5, 6]).encode(), sketchOf([7]).encode()]))).toBe(false);
    expect(bins.decode(new LatencySketch().encode())).toBe(true);
    expect(bins.quantiles([0.5, 0.99])).toEqual([null, null]);
  });
});
