/**
 * API health over time (`GET /api/v1/reports/api-health/series`), from the rollups of the requested width: every
 * bucket of the range is a point, those without calls with `calls: 0` and null rates and latencies. Over every
 * endpoint a point is one row of `api_call_totals`; for one endpoint, its rollup rows of that bucket summed.
 */
import { invalid } from '../../errors.ts';
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import { type BucketTotals, readBucketTotals } from './bucket-totals.ts';
import type { StatusClass } from './call.ts';
import { addCounts, clearTotals, countCalls, emptyTotals, type TrafficTotals } from './health-summary.ts';
import { readMinuteFloor } from './minute-rollups.ts';
import { type RollupCounts, readRollupCounts } from './rollup-read.ts';
import { SERIES_INTERVALS, type SeriesInterval, type SeriesParams } from './series-params.ts';
import { SketchBins } from './sketch.ts';

/** One point of the series. */
export interface SeriesPoint {
  /** Start of the bucket, ISO 8601 (UTC). */
  start: string;
  calls: number;
  errors: number;
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  byStatusClass: Record<StatusClass, number>;
}

/** The series response. */
export interface ApiHealthSeries {
  interval: SeriesInterval;
  points: SeriesPoint[];
}

/** `rows` ordered by bucket: as given when they already are (as read), else a sorted copy. */
function byBucket<R extends { bucketStart: number }>(rows: readonly R[]): readonly R[] {
  for (let i = 1; i < rows.length; i++) {
    if (rows[i - 1]!.bucketStart > rows[i]!.bucketStart) return [...rows].sort((a, b) => a.bucketStart - b.bucketStart);
  }
  return rows;
}

/** Every row a point sums: its bucket and its stored sketch (one, or several laid end to end). */
type PointRow = { bucketStart: number; sketch: Uint8Array };

/** The quantiles of every point, in the order of {@link SeriesPoint}'s fields. */
const QUANTILES = [0.5, 0.95, 0.99] as const;

/**
 * One point per bucket of `[from, to]` at the width of `params.interval`, empty buckets included, from rows whose
 * counts `count` sums into a point's totals. One walk over the rows in bucket order with one set of totals and one
 * set of bins, both reused at each point. A point of one row with one stored sketch (every point over every
 * endpoint) reads its quantiles from that sketch's bins as decoded; only a point of several is merged first.
 */
function shapePoints<R extends PointRow>(rows: readonly R[], params: SeriesParams, count: (totals: TrafficTotals, row: R) => void): ApiHealthSeries {
  const width = SERIES_INTERVALS[params.interval];
  const first = Math.floor(params.from / width) * width;
  const last = Math.floor(params.to / width) * width;
  const ordered = byBucket(rows);
  const totals = emptyTotals();
  const bins = new SketchBins();
  const points: SeriesPoint[] = [];
  let next = 0;
  for (let start = first; start <= last; start += width) {
    clearTotals(totals);
    while (next < ordered.length && ordered[next]!.bucketStart < start) next++;
    const from = next;
    while (next < ordered.length && ordered[next]!.bucketStart === start) count(totals, ordered[next++]!);
    if (next - from !== 1 || !bins.decode(ordered[from]!.sketch)) {
      for (let i = from; i < next; i++) totals.sketch.addEncoded(ordered[i]!.sketch);
      totals.sketch.binsInto(bins);
    }
    const [p50Ms, p95Ms, p99Ms] = bins.quantiles(QUANTILES);
    const byClass = totals.byStatusClass;
    points.push({
      start: new Date(start).toISOString(),
      calls: totals.calls,
      errorRate: totals.rated > 0 ? totals.errors / totals.rated : null,
      p50Ms: p50Ms!,
      p95Ms: p95Ms!,
      p99Ms: p99Ms!,
      errors: totals.errors,
      byStatusClass: { '2xx': byClass['2xx'], '3xx': byClass['3xx'], '4xx': byClass['4xx'], '429': byClass['429'], '5xx': byClass['5xx'] },
    });
  }
  return { interval: params.interval, points };
}

/** Shapes rollup rows of one width (summed per bucket, status and flags) into the series of `params`. Pure. */
export function shapeSeries(rows: readonly RollupCounts[], params: SeriesParams): ApiHealthSeries {
  return shapePoints(rows, params, (totals, row) => countCalls(totals, row.status, row.flags, row.calls));
}

/** Shapes stored bucket totals of one width into the series of `params`. Pure. */
export function shapeTotalsSeries(rows: readonly BucketTotals[], params: SeriesParams): ApiHealthSeries {
  return shapePoints(rows, params, addCounts);
}

/**
 * The series of `params` on `database`. Minute points before the minute rows kept (api-traffic/minute-rollups.ts)
 * cannot be answered: a default interval becomes `hour`, an asked-for `minute` is a 400 naming `interval`.
 */
export async function apiHealthSeries(database: SqlDatabase, params: SeriesParams): Promise<ApiHealthSeries> {
  let resolved = params;
  if (params.interval === 'minute') {
    const minuteFloor = await readMinuteFloor(database);
    if (minuteFloor !== undefined && params.from < minuteFloor) {
      if (!params.defaultInterval) {
        invalid([{ path: ['interval'], message: `minute points are kept from ${new Date(minuteFloor).toISOString()} on; use hour or day for older ranges` }]);
      }
      resolved = { ...params, interval: 'hour' };
    }
  }
  const width = SERIES_INTERVALS[resolved.interval];
  const from = Math.floor(resolved.from / width) * width;
  const to = Math.floor(resolved.to / width) * width + width;
  // Every endpoint: one stored row of totals per point. One endpoint: its rows per status and flags, summed.
  if (resolved.endpoint === undefined) return shapeTotalsSeries(await readBucketTotals(database, width, from, to), resolved);
  return shapeSeries(await readRollupCounts(database, [{ span: width, from, to }], resolved.endpoint), resolved);
}
