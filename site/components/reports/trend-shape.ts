/**
 * Pure shaping of `GET /api/v1/reports/funnel/trend` and `/funnel/time-to-convert` into chart rows. An interval
 * the date range cuts short (it starts before `from` or ends after `to`) is marked partial: its persons had less
 * time, so its conversion is not comparable with full ones.
 */
import type { FunnelTrendPoint, FunnelTrendReport, TimeToConvertReport } from '../../../api/analytics/contract.ts';
import { formatDuration } from './format.ts';

const DAY_MS = 86_400_000;

export type TrendPoint = FunnelTrendPoint;
export type TrendResponse = FunnelTrendReport;

export interface TrendRow extends TrendPoint {
  /** `2026-11-02`, with `*` when partial. */
  label: string;
  partial: boolean;
  /** Conversion of full intervals only, so the line is not pulled down by a cut-short one. */
  fullConversion: number | null;
  /** Conversion of partial intervals only, drawn apart. */
  partialConversion: number | null;
}

/** Length of one interval in milliseconds. */
export function intervalMs(interval: TrendResponse['interval']): number {
  return interval === 'week' ? 7 * DAY_MS : DAY_MS;
}

/** Chart and table rows of a trend, partial intervals marked against the requested range. */
export function trendRows(res: TrendResponse, range: { from: string; to: string }): TrendRow[] {
  const from = Date.parse(range.from);
  const to = Date.parse(range.to);
  const length = intervalMs(res.interval);
  return res.points.map((p) => {
    const start = Date.parse(p.start);
    const partial = start < from || start + length - 1 > to;
    const day = p.start.slice(0, 10);
    return {
      ...p,
      label: partial ? `${day}*` : day,
      partial,
      fullConversion: partial ? null : p.conversion,
      partialConversion: partial ? p.conversion : null,
    };
  });
}

/** Totals over the rows: persons entered and completed, and the conversion of full intervals together. */
export function trendTotals(rows: ReadonlyArray<TrendRow>): { entered: number; completed: number; conversion: number | null } {
  const full = rows.filter((r) => !r.partial);
  const entered = full.reduce((n, r) => n + r.entered, 0);
  const completed = full.reduce((n, r) => n + r.completed, 0);
  return { entered, completed, conversion: entered > 0 ? completed / entered : null };
}

export type TimeToConvertResponse = TimeToConvertReport;

export interface TimeBinRow {
  label: string;
  fromSeconds: number;
  toSeconds: number;
  persons: number;
}

/** Histogram rows labelled by their range, e.g. `5 min–10 min`. */
export function timeBins(res: TimeToConvertResponse): TimeBinRow[] {
  return res.bins.map((b) => ({ ...b, label: `${formatDuration(b.fromSeconds)}–${formatDuration(b.toSeconds)}` }));
}
