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

/** Writes the varint of `value` into `out` at `at`; returns the position after it. */
function writeVarint(out: Uint8Array, at: number, value: number): number {
  let v = value;
  let pos = at;
  while (v >= 128) {
    out[pos++] = (v % 128) + 128;
    v = Math.floor(v / 128);
  }
  out[pos++] = v;
  return pos;
}

/** Bytes of the varint of `value`. */
function varintBytes(value: number): number {
  let bytes = 1;
  for (let v = value; v >= 128; v = Math.floor(v / 128)) bytes++;
  return bytes;
}

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** Read position of {@link readVarint}: a module cursor rather than a returned pair, so decoding allocates nothing. */
let cursor = 0;

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

/** Slack added on each side when the bin array grows, so neighbouring keys do not each cost a copy. */
const GROW_SLACK = 8;

/**
 * A DDSketch as bin counts: durations and stored sketches add into it, and it encodes to the stored form or answers
 * quantiles. The same bins and mapping as the library's sketch, so the quantiles equal those of the merged DDSketch.
 */
export class LatencySketch {
  /*
   * Bin counts in a dense array indexed by key − offset rather than a Map: merging tens of thousands of stored
   * sketches is a tight loop of array additions. Keys of the one mapping span a few hundred for real latencies, and
   * about 71,000 between the smallest and largest doubles, so the array stays small. A plain array, not a typed one:
   * applying a chunk builds tens of thousands of small sketches, and V8 allocates small typed arrays off its heap.
   */
  private counts: number[] = [];
  private offset = 0;
  /** Smallest and largest key holding a count (lo > hi when none does). */
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  private zeros = 0;
  /** Durations held (zeros included). */
  count = 0;

  /** Adds one duration; a negative or non-finite one is ignored (see the module comment). */
  add(ms: number): void {
    if (!(ms >= 0 && Number.isFinite(ms))) return;
    if (ms > MAPPING.minPossible) this.addBin(MAPPING.key(ms), 1);
    else this.zeros += 1;
    this.count += 1;
  }

  /**
   * Adds stored sketches: one, or several laid end to end (each encoding says where it ends). A plain loop without
   * callbacks or allocations: reports add tens of thousands of them.
   */
  addEncoded(bytes: Uint8Array): void {
    cursor = 0;
    while (cursor < bytes.length) {
      if (bytes[cursor++] !== VERSION) throw new Error('latency sketch: unknown version');
      const zeros = readVarint(bytes);
      const bins = readVarint(bytes);
      this.zeros += zeros;
      this.count += zeros;
      let key = 0;
      for (let i = 0; i < bins; i++) {
        const delta = readVarint(bytes);
        const count = readVarint(bytes);
        key = i === 0 ? (delta % 2 === 0 ? delta / 2 : -(delta + 1) / 2) : key + delta;
        this.addBin(key, count);
        this.count += count;
      }
    }
  }

  /** Adds another sketch's durations. */
  addSketch(other: LatencySketch): void {
    for (let key = other.lo; key <= other.hi; key++) {
      const count = other.counts[key - other.offset]!;
      if (count > 0) this.addBin(key, count);
    }
    this.zeros += other.zeros;
    this.count += other.count;
  }

  /** Empties the sketch, keeping its array: a series reuses one sketch for every point. */
  clear(): void {
    if (this.lo <= this.hi) this.counts.fill(0, this.lo - this.offset, this.hi - this.offset + 1);
    this.lo = Number.POSITIVE_INFINITY;
    this.hi = Number.NEGATIVE_INFINITY;
    this.zeros = 0;
    this.count = 0;
  }

  /**
   * The stored form. Sized first and written straight into its buffer: applying a chunk of a long history encodes
   * about one sketch per call, and building a list of numbers to copy into a buffer was a large share of its garbage.
   */
  encode(): Buffer {
    let bins = 0;
    let size = 1 + varintBytes(this.zeros);
    let previous: number | undefined;
    for (let key = this.lo; key <= this.hi; key++) {
      const count = this.counts[key - this.offset]!;
      if (count === 0) continue;
      bins++;
      size += varintBytes(previous === undefined ? zigzag(key) : key - previous) + varintBytes(count);
      previous = key;
    }
    size += varintBytes(bins);
    const out = Buffer.allocUnsafe(size);
    out[0] = VERSION;
    let pos = writeVarint(out, 1, this.zeros);
    pos = writeVarint(out, pos, bins);
    previous = undefined;
    for (let key = this.lo; key <= this.hi; key++) {
      const count = this.counts[key - this.offset]!;
      if (count === 0) continue;
      pos = writeVarint(out, pos, previous === undefined ? zigzag(key) : key - previous);
      pos = writeVarint(out, pos, count);
      previous = key;
    }
    return out;
  }

  /**
   * The values at quantiles `qs` (each 0–1), null when empty. Each is interpolated linearly between the
   * two ranks around `q × (count − 1)`, as the exact percentiles of the raw calls were: each of the two is within 1%
   * of the true value of its rank, so their interpolation is within 1% of the exact interpolated percentile.
   */
  quantiles(qs: readonly number[]): Array<number | null> {
    if (this.count === 0) return qs.map(() => null);
    const last = this.count - 1;
    return qs.map((q) => {
      const rank = q * last;
      const lo = Math.floor(rank);
      const low = this.valueAt(lo);
      return lo === rank ? low : low + (rank - lo) * (this.valueAt(lo + 1) - low);
    });
  }

  /**
   * The value of the duration of `rank` (0-based, in order): 0 among the zeros, else the value of the bin holding
   * it. Walks the bins from the nearer end: a series asks this of hundreds of points, a few ranks each, where
   * collecting and sorting the ranks first cost more than the walks.
   */
  private valueAt(rank: number): number {
    if (rank < this.zeros) return 0;
    if (rank >= this.count - (this.count - this.zeros) / 2) {
      let above = this.count;
      for (let key = this.hi; key > this.lo; key--) {
        above -= this.counts[key - this.offset]!;
        if (above <= rank) return MAPPING.value(key);
      }
      return MAPPING.value(this.lo);
    }
    let seen = this.zeros;
    for (let key = this.lo; key < this.hi; key++) {
      seen += this.counts[key - this.offset]!;
      if (seen > rank) return MAPPING.value(key);
    }
    return MAPPING.value(this.hi);
  }

  /** Adds `count` to the bin `key`, growing the array to hold it. */
  private addBin(key: number, count: number): void {
    let index = key - this.offset;
    if (index < 0 || index >= this.counts.length) {
      this.grow(key);
      index = key - this.offset;
    }
    this.counts[index]! += count;
    if (key < this.lo) this.lo = key;
    if (key > this.hi) this.hi = key;
  }

  /** Reallocates the array to hold `key` besides the keys held, at least doubling it. */
  private grow(key: number): void {
    const empty = this.lo > this.hi;
    const lo = empty ? key : Math.min(key, this.lo);
    const hi = empty ? key : Math.max(key, this.hi);
    const size = Math.max(hi - lo + 1 + 2 * GROW_SLACK, 2 * this.counts.length);
    const offset = lo - Math.floor((size - (hi - lo + 1)) / 2);
    const next = new Array<number>(size).fill(0);
    for (let k = this.lo; k <= this.hi; k++) next[k - offset] = this.counts[k - this.offset]!;
    this.counts = next;
    this.offset = offset;
  }
}
