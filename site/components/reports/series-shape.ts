/** Pure shaping of the API health series (`GET /api/v1/reports/api-health/series`) for its charts and tables. */
import type { ApiHealthSeries, SeriesPoint } from '../../../api/analytics/api-traffic/series.ts';

export type { ApiHealthSeries, SeriesPoint };
export type SeriesInterval = ApiHealthSeries['interval'];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The bucket width the charts ask for: minutes up to 6 hours, hours up to 3 days, days beyond. A month of hours
 * is 720 thin, noisy bars on a phone; a month of days shows a step such as an incident's start at a glance.
 */
export function chartInterval(range: { from: string; to: string }): SeriesInterval {
  const span = Date.parse(range.to) - Date.parse(range.from);
  if (span <= 6 * HOUR_MS) return 'minute';
  if (span <= 3 * DAY_MS) return 'hour';
  return 'day';
}

/** `2026-12-01T13:00:00.000Z` → `Dec 1` for days, `Dec 1 13:00` for hours and minutes (UTC, as every report). */
export function pointLabel(start: string, interval: SeriesInterval): string {
  const d = new Date(start);
  const day = `${d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })} ${d.getUTCDate()}`;
  if (interval === 'day') return day;
  return `${day} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

/** One chart row per point: calls per status class, the error rate in percent, and latency. */
export interface SeriesRow {
  start: string;
  label: string;
  calls: number;
  errors: number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '429': number;
  '5xx': number;
  /** null without calls, so the line breaks instead of dropping to zero. */
  errorPercent: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Chart rows of a series, in time order. */
export function seriesRows(series: ApiHealthSeries): SeriesRow[] {
  return series.points.map((p) => ({
    start: p.start,
    label: pointLabel(p.start, series.interval),
    calls: p.calls,
    errors: p.errors,
    ...p.byStatusClass,
    errorPercent: p.errorRate === null ? null : Math.round(p.errorRate * 1000) / 10,
    p50: p.p50Ms === null ? null : Math.round(p.p50Ms),
    p95: p.p95Ms === null ? null : Math.round(p.p95Ms),
    p99: p.p99Ms === null ? null : Math.round(p.p99Ms),
  }));
}

/** Status classes bottom to top in the stacked chart, with the legend's words. */
export const STATUS_CLASS_SERIES = [
  { key: '2xx', name: '2xx success' },
  { key: '3xx', name: '3xx redirect' },
  { key: '4xx', name: '4xx client error' },
  { key: '429', name: '429 rate limited' },
  { key: '5xx', name: '5xx server error' },
] as const;

/** True when no point of the series has a call: the charts give way to an empty state. */
export function isEmptySeries(series: Pick<ApiHealthSeries, 'points'>): boolean {
  return series.points.every((p) => p.calls === 0);
}

/**
 * Errors ÷ calls over the points starting in `[from, to)` (epoch ms), weighted by calls rather than a mean of
 * per-point rates, so a quiet hour counts as little as it weighs. Null without calls.
 */
export function errorRateBetween(points: ReadonlyArray<SeriesPoint>, from: number, to: number): number | null {
  let calls = 0;
  let errors = 0;
  for (const p of points) {
    const start = Date.parse(p.start);
    if (start < from || start >= to) continue;
    calls += p.calls;
    errors += p.errors;
  }
  return calls === 0 ? null : errors / calls;
}
