/** Typed arrays the reports keep their lists in: growing them, and searching sorted ones. */

/** The typed arrays the reports grow. */
export type GrowableArray = Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/**
 * `array`, or a copy at least twice as long (its first elements copied) when it holds fewer than `needed`.
 *
 * @example
 * times = grown(times, length + 1);
 * times[length++] = ts;
 */
export function grown<T extends GrowableArray>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  const next = new (array.constructor as new (n: number) => T)(Math.max(needed, array.length * 2));
  next.set(array);
  return next;
}

/**
 * A growing list of numbers in a typed array: what a report adds one of per person (gaps between steps, durations).
 *
 * @example
 * const gaps = new NumberList();
 * gaps.push(12.5);
 * gaps.copy().sort();
 */
export class NumberList {
  values = new Float64Array(16);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) this.values = grown(this.values, this.length + 1);
    this.values[this.length++] = value;
  }

  /** A copy of the numbers, to reorder. */
  copy(): Float64Array {
    return this.values.slice(0, this.length);
  }
}

/**
 * The first index of [a, b) whose time is after `ts` (`inclusive`: at least `ts`), or b; times ascend over [a, b).
 */
export function firstPast(times: Float64Array, a: number, b: number, ts: number, inclusive: boolean): number {
  let lo = a;
  let hi = b;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const t = times[mid]!;
    if (t < ts || (!inclusive && t === ts)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
