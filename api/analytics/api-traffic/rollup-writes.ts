/**
 * Adds a chunk's applied calls to `api_call_rollups` and `api_call_totals`, inside the chunk's transaction:
 * aggregated in memory per row for each bucket width, the stored rows of those buckets read once, merged, and written
 * back with one upsert per key. The ingest store (api/ingest/store.ts) runs it for the calls
 * its insert actually stored, so a retried call (same uuid) adds nothing.
 */
import { type SQL, sql } from 'drizzle-orm';
import { inList, MAX_IN_LIST, padded, ROWS_PER_INSERT, type Step, slices, valuesOf } from '../../ingest/steps.ts';
import type { Row } from '../../storage/sql/interface.ts';
import { DAY_MS } from '../params.ts';
import type { AppliedCall } from './applied-call.ts';
import { BY_BUCKET } from './bucket-totals.ts';
import type { CallKey } from './call.ts';
import { LatencySketch } from './sketch.ts';

/** A minute and an hour in milliseconds: the finer rollup bucket widths (a day is `DAY_MS` of the report params). */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
/** Bucket widths kept, finest first; a report reads the coarsest that fits each part of its range. */
export const SPANS = [MINUTE_MS, HOUR_MS, DAY_MS] as const;

/** Start of the bucket of width `span` holding `timestamp` (UTC). */
export function bucketOf(timestamp: number, span: number): number {
  return Math.floor(timestamp / span) * span;
}

/**
 * One table of rollups, written from the same chunk by {@link addLevelRollups}: the key columns after
 * `(span, bucket_start)`, what a row aggregates (`A`), and its statements, spelled out per table so that every SQL
 * text is a constant template.
 */
export interface RollupLevel<A> {
  /** Prefix of the statements' shape keys. */
  name: string;
  /** The identity of a call's row within a bucket, as a map key (distinct keys give distinct strings). */
  identityOf(key: CallKey): string;
  /** The same identity of a stored row. */
  storedIdentityOf(row: Row): string;
  /** Appends the key columns of a call's row to `out`, in the order of `upsert` (appended, not returned: a chunk writes thousands of rows). */
  keyColumns(key: CallKey, out: Array<string | number | Buffer>): void;
  empty(): A;
  addCall(aggregate: A, call: AppliedCall): void;
  /** Adds one aggregate to another (bin counts add exactly, so a coarse bucket is the sum of its finest ones). */
  addAggregate(into: A, from: A): void;
  addStored(aggregate: A, row: Row): void;
  /** Appends the value columns of a row, after its key, to `out`, in the order of `upsert`. */
  columns(aggregate: A, out: Array<string | number | Buffer>): void;
  read(span: number, buckets: SQL): SQL;
  upsert(rows: SQL): SQL;
}

/** A row of `api_call_rollups` being built: its exact count and its latency sketch. */
interface CallsAndSketch {
  calls: number;
  sketch: LatencySketch;
}

/** The identity of a call key within a bucket, as a map key: lengths first, so no two keys give one string. */
function keyId(k: CallKey): string {
  return `${k.status} ${k.flags} ${k.method.length} ${k.code.length} ${k.method}${k.code}${k.endpoint}`;
}

/** `api_call_rollups`: per endpoint, method, status, failure code and flags (what API health groups on). */
const BY_ENDPOINT: RollupLevel<CallsAndSketch> = {
  name: 'rollups',
  identityOf: keyId,
  storedIdentityOf: (r) =>
    keyId({ endpoint: String(r.endpoint), method: String(r.method), status: Number(r.status), code: String(r.code), flags: Number(r.flags) }),
  keyColumns: (k, out) => {
    out.push(k.endpoint, k.method, k.status, k.code, k.flags);
  },
  empty: () => ({ calls: 0, sketch: new LatencySketch() }),
  addCall(aggregate, call) {
    aggregate.calls += 1;
    if (call.durationMs !== undefined) aggregate.sketch.add(call.durationMs);
  },
  addAggregate(into, from) {
    into.calls += from.calls;
    into.sketch.addSketch(from.sketch);
  },
  addStored(aggregate, row) {
    aggregate.calls += Number(row.calls);
    aggregate.sketch.addEncoded(row.sketch as Uint8Array);
  },
  columns: (a, out) => {
    out.push(a.calls, a.sketch.encode());
  },
  read: (span, buckets) =>
    sql`SELECT bucket_start, endpoint, method, status, code, flags, calls, sketch FROM api_call_rollups WHERE span = ${span} AND bucket_start IN ${buckets}`,
  upsert: (rows) =>
    sql`INSERT INTO api_call_rollups (span, bucket_start, endpoint, method, status, code, flags, calls, sketch) VALUES ${rows}
        ON CONFLICT (span, bucket_start, endpoint, method, status, code, flags) DO UPDATE SET calls = excluded.calls, sketch = excluded.sketch`,
};

/** The statements adding `calls` to the rollups of every bucket width: per endpoint, and per bucket over all of them. */
export function* addCallRollups(calls: readonly AppliedCall[]): Generator<Step, void, Row[]> {
  if (calls.length === 0) return;
  yield* addLevelRollups(BY_ENDPOINT, calls);
  yield* addLevelRollups(BY_BUCKET, calls);
}

interface Aggregate<A> {
  span: number;
  bucketStart: number;
  key: CallKey;
  /** The key's number within the chunk. */
  number: number;
  value: A;
}

/**
 * The statements adding `calls` to one level: aggregated in memory per row, the stored rows of the touched buckets
 * read once per width, merged, and written back with one upsert per row. A chunk of a long history touches about as
 * many rows as it has calls, so rows are found by number rather than by a string built per call and width: the
 * chunk's distinct call keys are numbered, and each width keeps, per key number, its rows by bucket start.
 */
function* addLevelRollups<A>(level: RollupLevel<A>, calls: readonly AppliedCall[]): Generator<Step, void, Row[]> {
  /** The number of each distinct call identity of the chunk, and each number's key. */
  const numbers = new Map<string, number>();
  const keys: CallKey[] = [];
  /** Per width (index in SPANS), per key number: the rows by bucket start. */
  const rows: Array<Array<Map<number, Aggregate<A>>>> = SPANS.map(() => []);
  /** Every row, in the order first touched (finest first: the upserts keep that order). */
  const ordered: Aggregate<A>[] = [];
  const bucketsBySpan: Array<Set<number>> = SPANS.map(() => new Set<number>());
  const aggregateOf = (width: number, bucketStart: number, number: number): Aggregate<A> => {
    const byBucket = (rows[width]![number] ??= new Map());
    let aggregate = byBucket.get(bucketStart);
    if (!aggregate) {
      aggregate = { span: SPANS[width]!, bucketStart, key: keys[number]!, number, value: level.empty() };
      byBucket.set(bucketStart, aggregate);
      ordered.push(aggregate);
      bucketsBySpan[width]!.add(bucketStart);
    }
    return aggregate;
  };
  // Each call is added to its finest bucket only; the coarser buckets add those aggregates (bin counts add exactly,
  // so this equals adding every call at every width, at a fraction of the map lookups and sketch updates).
  const finest = SPANS[0];
  for (const call of calls) {
    const identity = level.identityOf(call.key);
    let number = numbers.get(identity);
    if (number === undefined) {
      number = keys.length;
      numbers.set(identity, number);
      keys.push(call.key);
    }
    level.addCall(aggregateOf(0, bucketOf(call.timestamp, finest), number).value, call);
  }
  // The finest rows are the ones created so far.
  const finestRows = ordered.length;
  for (let width = 1; width < SPANS.length; width++) {
    const span = SPANS[width]!;
    for (let i = 0; i < finestRows; i++) {
      const fine = ordered[i]!;
      level.addAggregate(aggregateOf(width, bucketOf(fine.bucketStart, span), fine.number).value, fine.value);
    }
  }
  for (const [width, buckets] of bucketsBySpan.entries()) {
    const span = SPANS[width]!;
    for (const some of slices([...buckets], MAX_IN_LIST)) {
      const list = padded(some);
      const stored = yield {
        query: () => level.read(span, inList(list)),
        returnsRows: true,
        shape: { key: `${level.name}:${list.length}`, values: [span, ...list] },
      };
      for (const row of stored) {
        const number = numbers.get(level.storedIdentityOf(row));
        const aggregate = number === undefined ? undefined : rows[width]![number]?.get(Number(row.bucket_start));
        if (aggregate) level.addStored(aggregate.value, row);
      }
    }
  }
  let perRow = 0;
  for (const some of slices(ordered, ROWS_PER_INSERT)) {
    const values: Array<string | number | Buffer> = [];
    for (const a of some) {
      values.push(a.span, a.bucketStart);
      level.keyColumns(a.key, values);
      level.columns(a.value, values);
    }
    perRow ||= values.length / some.length;
    yield {
      query: () => level.upsert(valuesOf(values, perRow)),
      returnsRows: false,
      shape: { key: `${level.name}-upsert:${some.length}`, values },
    };
  }
}
