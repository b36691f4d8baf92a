/**
 * The stored form of a latency sketch (api-traffic/sketch.ts): a version byte, the count of zeros, the count of bins,
 * then each non-empty bin as (key delta, count) varints, the first key zigzag-encoded. Read with one module cursor
 * and module fields rather than returned objects, so decoding tens of thousands of stored sketches allocates nothing.
 */

/** Version byte of every stored sketch. */
export const VERSION = 1;

/** Writes the varint of `value` (a whole number >= 0) into `out` at `at`; returns the position after it. */
export function writeVarint(out: Uint8Array, at: number, value: number): number {
  let v = value;
  let pos = at;
  while (v >= 128) {
    out[pos++] = (v % 128) + 128;
    v = Math.floor(v / 128);
  }
  out[pos++] = v;
  return pos;
}

/** Bytes of the varint of `value`, so an encoder can size its buffer once. */
export function varintBytes(value: number): number {
  let bytes = 1;
  for (let v = value; v >= 128; v = Math.floor(v / 128)) bytes++;
  return bytes;
}

/** A signed whole number as one >= 0: 0, -1, 1, -2… as 0, 1, 2, 3… */
export function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** Read position of {@link readVarint}: a module cursor rather than a returned pair, so decoding allocates nothing. */
let cursor = 0;

/** Starts reading stored sketches from the first byte. */
export function startReading(): void {
  cursor = 0;
}

/** Whether {@link cursor} is past the last byte of `bytes`. */
export function readingDone(bytes: Uint8Array): boolean {
  return cursor >= bytes.length;
}

/** The varint of `bytes` at {@link cursor}, which it moves past it. */
function readVarint(bytes: Uint8Array): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = bytes[cursor++];
    if (byte === undefined) throw new Error('latency sketch: truncated');
    value += (byte & 127) * scale;
    if (byte < 128) return value;
    scale *= 128;
  }
}

/** Bins of the stored sketch whose header {@link readHeader} read last. */
export let headerBins = 0;

/** Reads a stored sketch's header at {@link cursor}: returns its zeros, and leaves its bin count in {@link headerBins}. */
export function readHeader(bytes: Uint8Array): number {
  if (bytes[cursor++] !== VERSION) throw new Error('latency sketch: unknown version');
  const zeros = readVarint(bytes);
  headerBins = readVarint(bytes);
  return zeros;
}

/** Count of the bin {@link readBin} read last. */
export let binCount = 0;

/** Reads bin `i` of a stored sketch at {@link cursor}, `key` the one before: returns its key, its count in {@link binCount}. */
export function readBin(bytes: Uint8Array, i: number, key: number): number {
  const delta = readVarint(bytes);
  binCount = readVarint(bytes);
  return i === 0 ? (delta % 2 === 0 ? delta / 2 : -(delta + 1) / 2) : key + delta;
}
