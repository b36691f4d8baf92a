/**
 * Adds a chunk's applied calls to `api_call_rollups`, inside the chunk's transaction: aggregated in memory per
 * (bucket, endpoint, method, status, code, flags) for each bucket width, the stored rows of those buckets read once,
 * merged, and written back with one upsert per key. The ingest store (api/ingest/store.ts) runs it for the calls
 * its insert actually stored, so a retried call (same uuid) adds nothing.
 */
import { sql } from 'drizzle-orm';
import { inList, MAX_IN_LIST, padded, ROWS_PER_INSERT, type Step, slices, valuesOf } from '../../ingest/steps.ts';
import type { Row } from '../../storage/sql/interface.ts';
import { DAY_MS } from '../params.ts';
import type { AppliedCall } from './applied-call.ts';
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

interface Aggregate {
  span: number;
  bucketStart: number;
  key: CallKey;
  calls: number;
  sketch: LatencySketch;
}

/** The identity of a call key within a bucket, as a map key: lengths first, so no two keys give one string. */
function keyId(k: CallKey): string {
  return `${k.status} ${k.flags} ${k.method.length} ${k.code.length} ${k.method}${k.code}${k.endpoint}`;
}

/** The identity of one rollup row, as a map key. */
function rowKey(span: number, bucketStart: number, keyIdentity: string): string {
  return `${span} ${bucketStart} ${keyIdentity}`;
}

type StoredRollup = {
  span: number;
  bucket_start: number;
  endpoint: string;
  method: string;
  status: number;
  code: string;
  flags: number;
  calls: number;
  sketch: Uint8Array;
};

/** The statements adding `calls` to the rollups of every bucket width. */
export function* addCallRollups(calls: readonly AppliedCall[]): Generator<Step, void, Row[]> {
  if (calls.length === 0) return;
  const aggregates = new Map<string, Aggregate>();
  const bucketsBySpan = new Map<number, Set<number>>(SPANS.map((span) => [span, new Set<number>()]));
  const aggregateOf = (span: number, bucketStart: number, key: CallKey, identity: string): Aggregate => {
    const id = rowKey(span, bucketStart, identity);
    let aggregate = aggregates.get(id);
    if (!aggregate) {
      aggregate = { span, bucketStart, key, calls: 0, sketch: new LatencySketch() };
      aggregates.set(id, aggregate);
      bucketsBySpan.get(span)!.add(bucketStart);
    }
    return aggregate;
  };
  // Each call is added to its finest bucket only; the coarser buckets add those aggregates (bin counts add exactly,
  // so this equals adding every call at every width, at a fraction of the map lookups and sketch updates).
  const [finest, ...coarser] = SPANS;
  const finestAggregates: Array<[Aggregate, string]> = [];
  for (const call of calls) {
    const identity = keyId(call.key);
    const aggregate = aggregateOf(finest, bucketOf(call.timestamp, finest), call.key, identity);
    if (aggregate.calls === 0) finestAggregates.push([aggregate, identity]);
    aggregate.calls += 1;
    if (call.durationMs !== undefined) aggregate.sketch.add(call.durationMs);
  }
  for (const span of coarser) {
    for (const [fine, identity] of finestAggregates) {
      const aggregate = aggregateOf(span, bucketOf(fine.bucketStart, span), fine.key, identity);
      aggregate.calls += fine.calls;
      aggregate.sketch.addSketch(fine.sketch);
    }
  }
  for (const [span, buckets] of bucketsBySpan) {
    for (const some of slices([...buckets], MAX_IN_LIST)) {
      const list = padded(some);
      const stored = (yield {
        query: () =>
          sql`SELECT span, bucket_start, endpoint, method, status, code, flags, calls, sketch FROM api_call_rollups WHERE span = ${span} AND bucket_start IN ${inList(list)}`,
        returnsRows: true,
        shape: { key: `rollups:${list.length}`, values: [span, ...list] },
      }) as StoredRollup[];
      for (const row of stored) {
        const key = { endpoint: row.endpoint, method: row.method, status: Number(row.status), code: row.code, flags: Number(row.flags) };
        const aggregate = aggregates.get(rowKey(span, Number(row.bucket_start), keyId(key)));
        if (!aggregate) continue;
        aggregate.calls += Number(row.calls);
        aggregate.sketch.addEncoded(row.sketch);
      }
    }
  }
  for (const some of slices([...aggregates.values()], ROWS_PER_INSERT)) {
    const values = some.flatMap((a) => [
      a.span,
      a.bucketStart,
      a.key.endpoint,
      a.key.method,
      a.key.status,
      a.key.code,
      a.key.flags,
      a.calls,
      a.sketch.encode(),
    ]);
    yield {
      query: () =>
        sql`INSERT INTO api_call_rollups (span, bucket_start, endpoint, method, status, code, flags, calls, sketch) VALUES ${valuesOf(values, 9)}
            ON CONFLICT (span, bucket_start, endpoint, method, status, code, flags) DO UPDATE SET calls = excluded.calls, sketch = excluded.sketch`,
      returnsRows: false,
      shape: { key: `rollups-upsert:${some.length}`, values },
    };
  }
}
