/**
 * Latency sketches of the API traffic rollups: DDSketch bins (`@datadog/sketches-js`'s logarithmic mapping) with 1%
 * relative accuracy. Sketches of one accuracy merge exactly (bin counts add), so a minute, an hour or thirty days of
 * calls give the same quantiles whichever way their rollups are combined.
 *
 * Stored in a compact form of our own rather than the library's protobuf (which needs `protobufjs` at run time):
 * a version byte, the count of zeros, then each non-empty bin of the positive store as (key delta, count) varints.
 * A rollup of a few calls takes a few bytes. Only durations >= 0 are sketched; a negative duration is a client bug,
 * not a latency.
 *
 * Writes and reports both work on {@link LatencySketch}, a map of bin counts: building a library DDSketch per rollup
 * row (its store grows and shifts on every merge) cost most of applying a chunk and of a report.
 */
import { DDSketch } from '@datadog/sketches-js';

/** Relative accuracy of every stored sketch: a quantile is within 1% of a value of that rank. */
export const RELATIVE_ACCURACY = 0.01;

const VERSION = 1;

/** The mapping of every stored sketch (one relative accuracy): value to bin key and back. */
const MAPPING = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY }).mapping;

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

/** A varint of `bytes` at `at`: its value and the offset after it. */
function readVarint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = at; ; i++) {
    const byte = bytes[i];
    if (byte === undefined) throw new Error('latency sketch: truncated');
    value += (byte & 127) * scale;
    if (byte < 128) return [value, i + 1];
    scale *= 128;
  }
}

/**
 * A DDSketch as bin counts: durations and stored sketches add into it, and it encodes to the stored form or answers
 * quantiles. The same bins and mapping as the library's sketch, so the quantiles equal those of the merged DDSketch.
 */
export class LatencySketch {
  private readonly bins = new Map<number, number>();
  private zeros = 0;
  /** Durations held (zeros included). */
  count = 0;

  /** Adds one duration; a negative or non-finite one is ignored (see the module comment). */
  add(ms: number): void {
    if (!(ms >= 0 && Number.isFinite(ms))) return;
    if (ms > MAPPING.minPossible) {
      const key = MAPPING.key(ms);
      this.bins.set(key, (this.bins.get(key) ?? 0) + 1);
    } else this.zeros += 1;
    this.count += 1;
  }

  /**
   * Adds stored sketches: one, or several laid end to end (each encoding says where it ends). A plain loop without
   * callbacks: reports add tens of thousands of them.
   */
  addEncoded(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      if (bytes[at] !== VERSION) throw new Error('latency sketch: unknown version');
      let zeros: number;
      let bins: number;
      [zeros, at] = readVarint(bytes, at + 1);
      [bins, at] = readVarint(bytes, at);
      this.zeros += zeros;
      this.count += zeros;
      let key = 0;
      for (let i = 0; i < bins; i++) {
        let delta: number;
        let count: number;
        [delta, at] = readVarint(bytes, at);
        [count, at] = readVarint(bytes, at);
        key = i === 0 ? (delta % 2 === 0 ? delta / 2 : -(delta + 1) / 2) : key + delta;
        this.bins.set(key, (this.bins.get(key) ?? 0) + count);
        this.count += count;
      }
    }
  }

  /** Adds another sketch's durations. */
  addSketch(other: LatencySketch): void {
    for (const [key, count] of other.bins) this.bins.set(key, (this.bins.get(key) ?? 0) + count);
    this.zeros += other.zeros;
    this.count += other.count;
  }

  /** The stored form. */
  encode(): Buffer {
    const out: number[] = [VERSION];
    writeVarint(out, this.zeros);
    const keys = this.sortedKeys();
    writeVarint(out, keys.length);
    let previous = 0;
    for (const [i, key] of keys.entries()) {
      writeVarint(out, i === 0 ? zigzag(key) : key - previous);
      writeVarint(out, this.bins.get(key)!);
      previous = key;
    }
    return Buffer.from(out);
  }

  /**
   * The values at quantiles `qs` (each 0–1), null when empty. Each is interpolated linearly between the
   * two ranks around `q × (count − 1)`, as the exact percentiles of the raw calls were: each of the two is within 1%
   * of the true value of its rank, so their interpolation is within 1% of the exact interpolated percentile. One
   * walk over the sorted bins finds every rank asked for.
   */
  quantiles(qs: readonly number[]): Array<number | null> {
    if (this.count === 0) return qs.map(() => null);
    const keys = this.sortedKeys();
    const ranks = [...new Set(qs.flatMap((q) => [Math.floor(q * (this.count - 1)), Math.ceil(q * (this.count - 1))]))].sort((a, b) => a - b);
    const values = new Map<number, number>();
    let index = -1;
    let seen = this.zeros;
    for (const rank of ranks) {
      if (rank < this.zeros) {
        values.set(rank, 0);
        continue;
      }
      while (seen <= rank && index < keys.length - 1) seen += this.bins.get(keys[++index]!)!;
      values.set(rank, MAPPING.value(keys[index]!));
    }
    return qs.map((q) => {
      const rank = q * (this.count - 1);
      const lo = Math.floor(rank);
      const low = values.get(lo)!;
      return lo === rank ? low : low + (rank - lo) * (values.get(lo + 1)! - low);
    });
  }

  private sortedKeys(): number[] {
    return [...this.bins.keys()].sort((a, b) => a - b);
  }
}
