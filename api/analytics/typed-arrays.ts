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

/** Below this many values the built-in sort is faster than the radix sort's four counting passes. */
const RADIX_AT = 2_048;

/**
 * Sorts `values` ascending in place and returns it, as `values.sort()` does (−0 before +0; no NaN expected), in
 * linear time: an LSD radix sort over the 64 bits of each double, 16 bits a pass, skipping passes whose digit is the
 * same for every value. A report at a million developers sorts hundreds of thousands of durations, where the built-in
 * comparison sort took about three times as long. No maintained npm package radix-sorts a Float64Array.
 *
 * @example
 * sortAscending(Float64Array.of(3, -1, 2)); // Float64Array [-1, 2, 3]
 */
export function sortAscending(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < RADIX_AT) return values.sort();
  // Keys: the bits with the sign flipped (and every bit of a negative flipped), so unsigned order is numeric order.
  let keys = new Uint32Array(2 * n);
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i]!;
    const hi = words[2 * i + 1]!;
    const negative = hi >>> 31 === 1;
    keys[2 * i] = negative ? ~lo >>> 0 : lo;
    keys[2 * i + 1] = negative ? ~hi >>> 0 : (hi | 0x80000000) >>> 0;
  }
  const counts = new Uint32Array(4 * 65_536);
  for (let i = 0; i < n; i++) {
    const lo = keys[2 * i]!;
    const hi = keys[2 * i + 1]!;
    counts[lo & 0xffff]!++;
    counts[65_536 + (lo >>> 16)]!++;
    counts[131_072 + (hi & 0xffff)]!++;
    counts[196_608 + (hi >>> 16)]!++;
  }
  let spare = new Uint32Array(2 * n);
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * 65_536;
    const word = pass >> 1;
    const shift = (pass & 1) * 16;
    // Every value has the same digit here: this pass would not move anything.
    if (counts[base + ((keys[word]! >>> shift) & 0xffff)] === n) continue;
    let sum = 0;
    for (let d = base; d < base + 65_536; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const lo = keys[2 * i]!;
      const hi = keys[2 * i + 1]!;
      const at = 2 * counts[base + (((word === 0 ? lo : hi) >>> shift) & 0xffff)]!++;
      spare[at] = lo;
      spare[at + 1] = hi;
    }
    [keys, spare] = [spare, keys];
  }
  for (let i = 0; i < n; i++) {
    const lo = keys[2 * i]!;
    const hi = keys[2 * i + 1]!;
    const negative = hi >>> 31 === 0;
    words[2 * i] = negative ? ~lo >>> 0 : lo;
    words[2 * i + 1] = negative ? ~hi >>> 0 : (hi & 0x7fffffff) >>> 0;
  }
  return values;
}
