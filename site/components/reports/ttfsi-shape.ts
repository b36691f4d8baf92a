/** Pure shaping of the time-to-first-successful-integration response. */

import type { TtfsiReport as TtfsiResponse } from '../../../api/analytics/contract.ts';
import { formatDuration } from './format.ts';

export interface HistogramRow {
  label: string;
  fromSeconds: number;
  toSeconds: number;
  count: number;
}

/** Histogram bins with readable labels such as `1 h–2 h`. */
export function histogramRows(histogram: TtfsiResponse['histogram']): HistogramRow[] {
  return histogram.map((b) => ({ ...b, label: `${formatDuration(b.fromSeconds)}–${formatDuration(b.toSeconds)}` }));
}

export interface SurvivalPoint {
  seconds: number;
  hours: number;
  /** Minutes, at least 1: the chart's time axis is logarithmic, which cannot show zero. */
  minutes: number;
  /** Share still without a first success, 0..1. */
  survival: number;
}

/**
 * Kaplan–Meier points for a step chart. The curve always starts at (0, 1): nobody has finished at time zero,
 * whether or not the API lists that point. Hours on the x axis because integrations take minutes to days.
 */
export function survivalCurve(km: TtfsiResponse['kaplanMeier']): SurvivalPoint[] {
  const points = [...km.points].sort((a, b) => a.seconds - b.seconds);
  if (points.length === 0 || points[0]!.seconds > 0) points.unshift({ seconds: 0, survival: 1 });
  return points.map((p) => ({ seconds: p.seconds, hours: p.seconds / 3600, minutes: Math.max(1, p.seconds / 60), survival: p.survival }));
}

export interface TtfsiCohortRow {
  week: string;
  started: number;
  completed: number;
  completion: number | null;
  p50Hours: number | null;
  p50: number | null;
}

/** Weekly cohorts with completion share and median in hours for the trend chart. */
export function ttfsiCohorts(cohorts: TtfsiResponse['cohorts']): TtfsiCohortRow[] {
  return [...cohorts]
    .sort((a, b) => a.week.localeCompare(b.week))
    .map((c) => ({
      week: c.week.slice(0, 10),
      started: c.started,
      completed: c.completed,
      completion: c.started > 0 ? c.completed / c.started : null,
      p50: c.p50,
      p50Hours: c.p50 === null ? null : Math.round((c.p50 / 3600) * 100) / 100,
    }));
}

/** Nobody started in range: show the empty state. */
export function isEmptyTtfsi(res: Pick<TtfsiResponse, 'completed' | 'inProgress'>): boolean {
  return res.completed + res.inProgress === 0;
}

/** Tick positions (minutes) for the log time axis: 1 min, 10 min, 1 h, 10 h, 1 d, 1 w, 30 d, up to the data. */
export function logTimeTicks(maxMinutes: number): number[] {
  const ticks = [1, 10, 60, 600, 1440, 10_080, 43_200, 129_600];
  const upTo = ticks.findIndex((t) => t >= maxMinutes);
  return upTo === -1 ? ticks : ticks.slice(0, upTo + 1);
}
