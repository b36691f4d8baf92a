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
  keyOf(key: CallKey): Array<string | number>;
  storedKeyOf(row: Row): Array<string | number>;
  empty(): A;
  addCall(aggregate: A, call: AppliedCall): void;
  addStored(aggregate: A, row: Row): void;
  /** The value columns of a row, after its key, in the order of `upsert`. */
  columns(aggregate: A): Array<string | number | Buffer>;
  read(span: number, buckets: SQL): SQL;
  upsert(rows: SQL): SQL;
}

/** A row of `api_call_rollups` being built: its exact count and its latency sketch. */
interface CallsAndSketch {
  calls: number;
  sketch: LatencySketch;
}

/** `api_call_rollups`: per endpoint, method, status, failure code and flags (what API health groups on). */
const BY_ENDPOINT: RollupLevel<CallsAndSketch> = {
  name: 'rollups',
  keyOf: (k) => [k.endpoint, k.method, k.status, k.code, k.flags],
  storedKeyOf: (r) => [String(r.endpoint), String(r.method), Number(r.status), String(r.code), Number(r.flags)],
  empty: () => ({ calls: 0, sketch: new LatencySketch() }),
  addCall(aggregate, call) {
    aggregate.calls += 1;
    if (call.durationMs !== undefined) aggregate.sketch.add(call.durationMs);
  },
  addStored(aggregate, row) {
    aggregate.calls += Number(row.calls);
    aggregate.sketch.addEncoded(row.sketch as Uint8Array);
  },
  columns: (a) => [a.calls, a.sketch.encode()],
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

/**
 * The statements adding `calls` to one level: aggregated in memory per row, the stored rows of the touched buckets
 * read once per width, merged, and written back with one upsert per row.
 */
function* addLevelRollups<A>(level: RollupLevel<A>, calls: readonly AppliedCall[]): Generator<Step, void, Row[]> {
  const aggregates = new Map<string, { span: number; bucketStart: number; key: Array<string | number>; value: A }>();
  const bucketsBySpan = new Map<number, Set<number>>(SPANS.map((span) => [span, new Set<number>()]));
  for (const call of calls) {
    const key = level.keyOf(call.key);
    for (const span of SPANS) {
      const bucketStart = bucketOf(call.timestamp, span);
      const id = JSON.stringify([span, bucketStart, ...key]);
      let aggregate = aggregates.get(id);
      if (!aggregate) {
        aggregate = { span, bucketStart, key, value: level.empty() };
        aggregates.set(id, aggregate);
        bucketsBySpan.get(span)!.add(bucketStart);
      }
      level.addCall(aggregate.value, call);
    }
  }
  for (const [span, buckets] of bucketsBySpan) {
    for (const some of slices([...buckets], MAX_IN_LIST)) {
      const list = padded(some);
      const stored = yield {
        query: () => level.read(span, inList(list)),
        returnsRows: true,
        shape: { key: `${level.name}:${list.length}`, values: [span, ...list] },
      };
      for (const row of stored) {
        const aggregate = aggregates.get(JSON.stringify([span, Number(row.bucket_start), ...level.storedKeyOf(row)]));
        if (aggregate) level.addStored(aggregate.value, row);
      }
    }
  }
  let width = 0;
  for (const some of slices([...aggregates.values()], ROWS_PER_INSERT)) {
    const values = some.flatMap((a) => [a.span, a.bucketStart, ...a.key, ...level.columns(a.value)]);
    width ||= values.length / some.length;
    yield {
      query: () => level.upsert(valuesOf(values, width)),
      returnsRows: false,
      shape: { key: `${level.name}-upsert:${some.length}`, values },
    };
  }
}
