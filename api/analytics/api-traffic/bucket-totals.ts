/**
 * `api_call_totals`: per bucket of each width, the totals of every call in it over every endpoint (calls, rated
 * calls, errors, 5xx, status classes and the merged latency sketch), kept beside `api_call_rollups` at apply time by
 * the same read-merge-upsert (api-traffic/rollup-writes.ts). The series over every endpoint reads one of these rows
 * per point: its rows grow with the buckets of its range, not with endpoints × statuses × buckets.
 */
import { sql } from 'drizzle-orm';
import type { Row, SqlDatabase } from '../../storage/sql/interface.ts';
import { addCounts, addTotals, countCalls, emptyTotals, type TrafficTotals } from './health-summary.ts';
import type { RollupLevel } from './rollup-writes.ts';

/** One stored row: its bucket and the counts of its totals, numbers on both dialects, and its encoded sketch. */
export interface BucketTotals extends Omit<TrafficTotals, 'sketch'> {
  bucketStart: number;
  /** One encoded sketch, or several laid end to end (rows backfilled by the migration). */
  sketch: Uint8Array;
}

/** The columns of a stored row, in the order of the upsert. */
const COLUMNS = sql`calls, rated, errors, server_errors, status_2xx, status_3xx, status_4xx, status_429, status_5xx, sketch`;

/** A stored row as {@link BucketTotals} (PostgreSQL returns bigint columns as text). */
function totalsOf(row: Row): BucketTotals {
  return {
    bucketStart: Number(row.bucket_start),
    calls: Number(row.calls),
    rated: Number(row.rated),
    errors: Number(row.errors),
    serverErrors: Number(row.server_errors),
    byStatusClass: {
      '2xx': Number(row.status_2xx),
      '3xx': Number(row.status_3xx),
      '4xx': Number(row.status_4xx),
      '429': Number(row.status_429),
      '5xx': Number(row.status_5xx),
    },
    sketch: row.sketch as Uint8Array,
  };
}

/** Adds a stored row to `totals`: its counts and its sketch. */
export function addBucketTotals(totals: TrafficTotals, row: BucketTotals): void {
  addCounts(totals, row);
  totals.sketch.addEncoded(row.sketch);
}

/** The level of `api_call_totals` for the rollup writes: no key beyond the bucket, a whole {@link TrafficTotals} per row. */
export const BY_BUCKET: RollupLevel<TrafficTotals> = {
  name: 'call-totals',
  identityOf: () => '',
  storedIdentityOf: () => '',
  keyColumns: () => {},
  empty: emptyTotals,
  addCall(totals, call) {
    countCalls(totals, call.key.status, call.key.flags, 1);
    if (call.durationMs !== undefined) totals.sketch.add(call.durationMs);
  },
  addAggregate: addTotals,
  addStored: (totals, row) => addBucketTotals(totals, totalsOf(row)),
  columns: (t, out) => {
    const { byStatusClass: c } = t;
    out.push(t.calls, t.rated, t.errors, t.serverErrors, c['2xx'], c['3xx'], c['4xx'], c['429'], c['5xx'], t.sketch.encode());
  },
  read: (span, buckets) => sql`SELECT bucket_start, ${COLUMNS} FROM api_call_totals WHERE span = ${span} AND bucket_start IN ${buckets}`,
  upsert: (rows) =>
    sql`INSERT INTO api_call_totals (span, bucket_start, ${COLUMNS}) VALUES ${rows}
        ON CONFLICT (span, bucket_start) DO UPDATE SET calls = excluded.calls, rated = excluded.rated, errors = excluded.errors,
          server_errors = excluded.server_errors, status_2xx = excluded.status_2xx, status_3xx = excluded.status_3xx,
          status_4xx = excluded.status_4xx, status_429 = excluded.status_429, status_5xx = excluded.status_5xx, sketch = excluded.sketch`,
};

/** The stored totals of the buckets of width `span` in `[from, to)`, in bucket order. */
export async function readBucketTotals(database: SqlDatabase, span: number, from: number, to: number): Promise<BucketTotals[]> {
  const rows = await database.all(
    sql`SELECT bucket_start, ${COLUMNS} FROM api_call_totals WHERE span = ${span} AND bucket_start >= ${from} AND bucket_start < ${to} ORDER BY bucket_start`,
  );
  return rows.map(totalsOf);
}
