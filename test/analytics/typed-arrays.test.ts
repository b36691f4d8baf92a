/**
 * The reports' typed-array helpers (api/analytics/typed-arrays.ts): the radix sort orders every double as the
 * built-in sort does, on both sides of the size where it takes over.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstPast, sortAscending } from '../../api/analytics/typed-arrays.ts';

const doubles = fc.double({ noNaN: true });
/** Durations as reports hold them: whole milliseconds in seconds, many repeated. */
const durations = fc.integer({ min: 0, max: 90 * 86_400_000 }).map((ms) => ms / 1000);

describe('sortAscending', () => {
  it.each([
    ['any doubles, few', fc.array(doubles, { maxLength: 50 })],
    ['any doubles, past the radix threshold', fc.array(doubles, { minLength: 2_048, maxLength: 5_000 })],
    ['durations, past the radix threshold', fc.array(durations, { minLength: 2_048, maxLength: 5_000 })],
    ['few distinct values', fc.array(fc.constantFrom(0, -0, 1.5, -2, 1e300, Number.POSITIVE_INFINITY), { minLength: 2_048, maxLength: 3_000 })],
  ])('orders %s as the built-in sort does', (_name, arb) => {
    fc.assert(
      fc.property(arb, (values) => {
        const expected = Float64Array.from(values).sort();
        const sorted = sortAscending(Float64Array.from(values));
        expect(sorted.length).toBe(expected.length);
        for (let i = 0; i < expected.length; i++) if (!Object.is(sorted[i], expected[i])) expect([i, sorted[i]]).toEqual([i, expected[i]]);
      }),
      { numRuns: 40 },
    );
  });

  it('sorts a view into a larger buffer in place', () => {
    const buffer = new Float64Array(5_000).map((_, i) => (i * 7919) % 5_000);
    const view = buffer.subarray(1_000, 4_000);
    const before = [...buffer.subarray(0, 1_000), ...buffer.subarray(4_000)];
    expect(sortAscending(view)).toBe(view);
    expect([...view]).toEqual([...Float64Array.from(buffer.subarray(1_000, 4_000)).sort()]);
    expect([...buffer.subarray(0, 1_000), ...buffer.subarray(4_000)]).toEqual(before);
  });
});

describe('firstPast', () => {
  it('finds the first time after (or at) a bound', () => {
    const times = Float64Array.of(1, 2, 2, 3);
    expect(firstPast(times, 0, 4, 2, true)).toBe(1);
    expect(firstPast(times, 0, 4, 2, false)).toBe(3);
    expect(firstPast(times, 0, 4, 9, true)).toBe(4);
  });
});
