/** Growing typed arrays: the reports keep per-person and per-event lists in them rather than in arrays of numbers. */

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
