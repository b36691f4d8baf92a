/**
 * Latency sketches of the API traffic rollups: DDSketch (`@datadog/sketches-js`) with 1% relative accuracy. Sketches
 * of one accuracy merge exactly (bin counts add), so a minute, an hour or thirty days of calls give the same
 * quantiles whichever way their rollups are combined.
 *
 * Stored in a compact form of our own rather than the library's protobuf (which needs `protobufjs` at run time):
 * a version byte, the count of zeros, then each non-empty bin of the positive store as (key delta, count) varints.
 * A rollup of a few calls takes a few bytes. Only durations >= 0 are sketched; the library's merge ignores its
 * negative store, and a negative duration is a client bug, not a latency.
 */
import { DDSketch } from '@datadog/sketches-js';

/** Relative accuracy of every stored sketch: a quantile is within 1% of a value of that rank. */
export const RELATIVE_ACCURACY = 0.01;

const VERSION = 1;

/** An empty sketch. */
export function newSketch(): DDSketch {
  return new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
}

/** Adds a duration; a negative or non-finite one is ignored (see the module comment). */
export function addDuration(sketch: DDSketch, ms: number): void {
  if (ms >= 0 && Number.isFinite(ms)) sketch.accept(ms);
}

function writeVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** The bytes a sketch is stored as. */
export function encodeSketch(sketch: DDSketch): Buffer {
  const out: number[] = [VERSION];
  writeVarint(out, sketch.zeroCount);
  const { store } = sketch;
  const bins: Array<[number, number]> = [];
  if (store.count > 0) {
    for (let key = store.minKey; key <= store.maxKey; key++) {
      const count = store.bins[key - store.offset] ?? 0;
      if (count > 0) bins.push([key, count]);
    }
  }
  writeVarint(out, bins.length);
  let previous = 0;
  for (const [i, [key, count]] of bins.entries()) {
    writeVarint(out, i === 0 ? zigzag(key) : key - previous);
    writeVarint(out, count);
    previous = key;
  }
  return Buffer.from(out);
}

/**
 * Reads stored sketch bytes: calls `bin` for each (key, count) in key order and returns the zero count. One reader
 * for decoding into a sketch and for adding into a running total.
 */
function readEncoded(bytes: Uint8Array, bin: (key: number, count: number) => void): number {
  let at = 0;
  const read = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error('latency sketch: truncated');
      value += (byte & 127) * scale;
      if (byte < 128) return value;
      scale *= 128;
    }
  };
  if (bytes[at++] !== VERSION) throw new Error('latency sketch: unknown version');
  const zeros = read();
  const bins = read();
  let key = 0;
  for (let i = 0; i < bins; i++) {
    const delta = read();
    key = i === 0 ? (delta % 2 === 0 ? delta / 2 : -(delta + 1) / 2) : key + delta;
    bin(key, read());
  }
  return zeros;
}

/** A sketch from its stored bytes. */
export function decodeSketch(bytes: Uint8Array): DDSketch {
  const sketch = newSketch();
  const keys: number[] = [];
  const counts: number[] = [];
  const zeros = readEncoded(bytes, (key, count) => {
    keys.push(key);
    counts.push(count);
  });
  const bins = keys.length;
  let total = zeros;
  if (bins > 0) {
    // Sized once for the whole key range, then filled: adding bin by bin would grow the store's array each time.
    const { store } = sketch;
    store._extendRange(keys[0]!, keys.at(-1)!);
    for (let i = 0; i < bins; i++) store.bins[keys[i]! - store.offset]! += counts[i]!;
    for (const count of counts) total += count;
    store.count = total - zeros;
  }
  sketch.zeroCount = zeros;
  sketch.count = total;
  return sketch;
}

/** Merges `from` into `into` (both of {@link RELATIVE_ACCURACY}). */
export function mergeSketch(into: DDSketch, from: DDSketch): void {
  into.merge(from);
}

/** The sketched value of 0-based rank `rank` (an integer below the count): zeros first, then the positive bins. */
function valueAtRank(sketch: DDSketch, rank: number): number {
  if (rank < sketch.zeroCount) return 0;
  return sketch.mapping.value(sketch.store.keyAtRank(rank - sketch.zeroCount));
}

/**
 * The value at quantile `q` (0–1), null when the sketch holds no value. Interpolated linearly between the two ranks
 * around `q × (count − 1)`, as the exact percentiles of the raw calls were: each of the two is within 1% of the
 * true value of its rank, so their interpolation is within 1% of the exact interpolated percentile.
 */
export function quantileOf(sketch: DDSketch | undefined, q: number): number | null {
  if (!sketch || sketch.count === 0) return null;
  const rank = q * (sketch.count - 1);
  const lo = Math.floor(rank);
  const low = valueAtRank(sketch, lo);
  return lo === rank ? low : low + (rank - lo) * (valueAtRank(sketch, lo + 1) - low);
}

/**
 * A merge target for many stored sketches, read straight from their bytes into one array of bin counts: reports
 * merge thousands of rollups, and building a DDSketch per row (its store grows and shifts on every merge) cost
 * most of a report's time. Same bins, same mapping, so the quantiles equal those of the merged DDSketch.
 */
export class SketchAccumulator {
  private bins = new Map<number, number>();
  private zeros = 0;
  count = 0;

  /** Adds one stored sketch. */
  addEncoded(bytes: Uint8Array): void {
    const zeros = readEncoded(bytes, (key, count) => {
      this.bins.set(key, (this.bins.get(key) ?? 0) + count);
      this.count += count;
    });
    this.zeros += zeros;
    this.count += zeros;
  }

  /** The value at quantile `q`, interpolated as {@link quantileOf} does; null when empty. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const keys = [...this.bins.keys()].sort((a, b) => a - b);
    const mapping = MAPPING.mapping;
    const valueAtRank = (rank: number): number => {
      if (rank < this.zeros) return 0;
      let seen = this.zeros;
      for (const key of keys) {
        seen += this.bins.get(key)!;
        if (seen > rank) return mapping.value(key);
      }
      return mapping.value(keys.at(-1)!);
    };
    const rank = q * (this.count - 1);
    const lo = Math.floor(rank);
    const low = valueAtRank(lo);
    return lo === rank ? low : low + (rank - lo) * (valueAtRank(lo + 1) - low);
  }
}

/** The mapping every stored sketch uses (one relative accuracy). */
const MAPPING = newSketch();
