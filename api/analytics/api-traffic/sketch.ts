/**
 * Latency sketches of the API traffic rollups: DDSketch bins (`@datadog/sketches-js`'s logarithmic mapping) with 1%
 * relative accuracy. Sketches of one accuracy merge exactly (bin counts add), so a minute, an hour or thirty days of
 * calls give the same quantiles whichever way their rollups are combined.
 *
 * Stored in a compact form of our own rather than the library's protobuf (which needs `protobufjs` at run time):
 * a version byte, the count of zeros, then each non-empty bin of the positive store as (key delta, count) varints
 * (sketch-format.ts).
 * A rollup of a few calls takes a few bytes. Only durations >= 0 are sketched; a negative duration is a client bug,
 * not a latency.
 *
 * Writes and reports both work on {@link LatencySketch}, a map of bin counts: building a library DDSketch per rollup
 * row (its store grows and shifts on every merge) cost most of applying a chunk and of a report.
 */
import { DDSketch } from '@datadog/sketches-js';
import { binCount, headerBins, readBin, readHeader, readingDone, startReading, VERSION, varintBytes, writeVarint, zigzag } from './sketch-format.ts';

/** Relative accuracy of every stored sketch: a quantile is within 1% of a value of that rank. */
export const RELATIVE_ACCURACY = 0.01;

/** The mapping of every stored sketch (one relative accuracy): value to bin key and back. */
const MAPPING = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY }).mapping;

/**
 * The value of bin `key`, remembered: each costs the mapping a `Math.pow`, a series asks six per point, and the keys
 * of real latencies are a few hundred.
 */
const binValues = new Map<number, number>();
function binValue(key: number): number {
  let value = binValues.get(key);
  if (value === undefined) {
    value = MAPPING.value(key);
    binValues.set(key, value);
  }
  return value;
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
    startReading();
    while (!readingDone(bytes)) {
      const zeros = readHeader(bytes);
      const bins = headerBins;
      this.zeros += zeros;
      this.count += zeros;
      let key = 0;
      for (let i = 0; i < bins; i++) {
        key = readBin(bytes, i, key);
        this.addBin(key, binCount);
        this.count += binCount;
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

  /** The values at quantiles `qs` (each 0–1), null when empty: see {@link SketchBins.quantiles}. */
  quantiles(qs: readonly number[]): Array<number | null> {
    this.binsInto(scratchBins);
    return scratchBins.quantiles(qs);
  }

  /** Sets `bins` to this sketch's non-empty bins in key order, its zeros and its count. */
  binsInto(bins: SketchBins): void {
    bins.length = 0;
    bins.zeros = this.zeros;
    bins.count = this.count;
    if (this.lo > this.hi) return;
    bins.reserve(this.hi - this.lo + 1);
    for (let key = this.lo; key <= this.hi; key++) {
      const count = this.counts[key - this.offset]!;
      if (count > 0) bins.push(key, count);
    }
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

/**
 * A sketch's non-empty bins in key order (so in value order), its zeros and its count, in typed arrays reused from
 * one sketch to the next: what quantiles are read from. A series fills one from each point's stored sketch
 * ({@link SketchBins.decode}) without the dense array of a {@link LatencySketch}, or from a merged one when a point
 * has several ({@link LatencySketch.binsInto}).
 */
export class SketchBins {
  keys = new Int32Array(64);
  counts = new Float64Array(64);
  /** Bins held. */
  length = 0;
  zeros = 0;
  /** Durations held (zeros included). */
  count = 0;

  /** Room for `bins` bins; the bins held are dropped when the arrays grow (callers reserve before filling). */
  reserve(bins: number): void {
    if (bins <= this.keys.length) return;
    const size = Math.max(bins, 2 * this.keys.length);
    this.keys = new Int32Array(size);
    this.counts = new Float64Array(size);
  }

  /** Appends a bin of a key above those held. */
  push(key: number, count: number): void {
    this.keys[this.length] = key;
    this.counts[this.length] = count;
    this.length += 1;
  }

  /**
   * Sets the bins to those of one stored sketch. False, leaving them unusable, when `bytes` holds several laid end
   * to end: their bins interleave, so they are merged in a {@link LatencySketch} instead.
   */
  decode(bytes: Uint8Array): boolean {
    startReading();
    this.zeros = readHeader(bytes);
    const bins = headerBins;
    this.reserve(bins);
    this.length = 0;
    this.count = this.zeros;
    let key = 0;
    for (let i = 0; i < bins; i++) {
      key = readBin(bytes, i, key);
      this.push(key, binCount);
      this.count += binCount;
    }
    return readingDone(bytes);
  }

  /**
   * The values at quantiles `qs` (each 0–1), null when empty. Each is interpolated linearly between the
   * two ranks around `q × (count − 1)`, as the exact percentiles of the raw calls were: each of the two is within 1%
   * of the true value of its rank, so their interpolation is within 1% of the exact interpolated percentile.
   * One walk over the bins for ascending `qs` (a series asks this of hundreds of points); the value of a rank is 0
   * among the zeros, else the value of the bin holding it.
   */
  quantiles(qs: readonly number[]): Array<number | null> {
    const out: Array<number | null> = new Array(qs.length).fill(null);
    if (this.count === 0) return out;
    const last = this.count - 1;
    this.bin = -1;
    this.seen = this.zeros;
    for (let i = 0; i < qs.length; i++) {
      const rank = qs[i]! * last;
      const lo = Math.floor(rank);
      const low = this.valueAt(lo);
      out[i] = lo === rank ? low : low + (rank - lo) * (this.valueAt(lo + 1) - low);
    }
    return out;
  }

  /* The walk of {@link quantiles}: bin `bin` holds the ranks below `seen` not held by the bins before it. */
  private bin = -1;
  private seen = 0;

  /** The value of `rank`: 0 among the zeros, else that of the bin holding it, walking on from the last rank asked. */
  private valueAt(rank: number): number {
    if (rank < this.zeros) return 0;
    if (this.bin >= 0 && rank < this.seen - this.counts[this.bin]!) {
      this.bin = -1;
      this.seen = this.zeros;
    }
    while (this.seen <= rank && this.bin < this.length - 1) this.seen += this.counts[++this.bin]!;
    return binValue(this.keys[Math.max(this.bin, 0)]!);
  }
}

/** The bins {@link LatencySketch.quantiles} reads through. */
const scratchBins = new SketchBins();
