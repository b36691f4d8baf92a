/** Pure shaping of funnel responses into chart rows, tables and callouts. */

import type { FunnelReport as FunnelResponse, FunnelStep } from '../../../api/analytics/contract.ts';

/** One bar per step: who reached it, and of the previous step's persons who did not, who dropped vs. is still in progress. */
export interface FunnelBarRow {
  index: number;
  label: string;
  /** `Step 2`, for narrow screens where event names would crowd out the bars. */
  short: string;
  event: string;
  reached: number;
  inProgress: number;
  dropped: number;
  conversionFromStart: number | null;
  conversionFromPrevious: number | null;
}

/** `1. signed_up` — numbered so repeated events stay distinct on an axis. */
export function stepLabel(index: number, event: string): string {
  return `${index + 1}. ${event}`;
}

/**
 * Rows for the stacked funnel bars. Step 1 has nothing before it, so its dropped and in-progress parts are 0;
 * for later steps reached + inProgress + dropped adds up to the previous step's count.
 */
export function funnelBars(steps: ReadonlyArray<FunnelStep>): FunnelBarRow[] {
  return steps.map((s, index) => ({
    index,
    label: stepLabel(index, s.event),
    short: `Step ${index + 1}`,
    event: s.event,
    reached: s.count,
    inProgress: index === 0 ? 0 : s.inProgress,
    dropped: index === 0 ? 0 : s.dropOff,
    conversionFromStart: s.conversionFromStart,
    conversionFromPrevious: s.conversionFromPrevious,
  }));
}

export interface StepTimeRow {
  label: string;
  /** `1 → 2`, for narrow screens. */
  short: string;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

/** Median and p90 time between consecutive steps (from step 2 on). */
export function stepTimes(steps: ReadonlyArray<FunnelStep>): StepTimeRow[] {
  return steps.slice(1).map((s, i) => ({
    label: `${steps[i]!.event} → ${s.event}`,
    short: `${i + 1} → ${i + 2}`,
    medianSeconds: s.medianSecondsFromPrevious,
    p90Seconds: s.p90SecondsFromPrevious,
  }));
}

/** True when the funnel has no one at step 1 (the page then shows an empty state, not a blank chart). */
export function isEmptyFunnel(res: Pick<FunnelResponse, 'steps'>): boolean {
  return res.steps.length === 0 || (res.steps[0]?.count ?? 0) === 0;
}

export interface BreakdownTableRow {
  value: string;
  counts: number[];
  started: number;
  converted: number;
  conversion: number | null;
}

/** Breakdown values as table rows: count per step and overall conversion. Missing values read `(none)`. */
export function breakdownRows(breakdown: FunnelResponse['breakdown']): BreakdownTableRow[] {
  return (breakdown ?? []).map((b) => {
    const first = b.steps[0]?.count ?? 0;
    const last = b.steps[b.steps.length - 1];
    return {
      value: b.value === null || b.value === '' ? '(none)' : String(b.value),
      counts: b.steps.map((s) => s.count),
      started: first,
      converted: last?.count ?? 0,
      conversion: last?.conversionFromStart ?? null,
    };
  });
}

/** How many breakdown values get their own bar series; more would be unreadable, the table shows them all. */
export const MAX_CHART_SERIES = 6;

/**
 * Grouped-bar data: one row per step, one key per breakdown value (conversion from start, 0..1). Keys are
 * `s0`, `s1`… so arbitrary property values never become object keys; `series` maps them back to names.
 */
export function breakdownChart(breakdown: FunnelResponse['breakdown']): {
  rows: Array<Record<string, string | number>>;
  series: Array<{ key: string; name: string }>;
} {
  const rows = breakdownRows(breakdown);
  const top = rows.slice(0, MAX_CHART_SERIES);
  const series = top.map((r, i) => ({ key: `s${i}`, name: r.value }));
  const stepsSource = (breakdown ?? [])[0]?.steps ?? [];
  const chartRows = stepsSource.map((step, stepIndex) => {
    const row: Record<string, string | number> = { label: stepLabel(stepIndex, step.event), short: `Step ${stepIndex + 1}` };
    top.forEach((_, i) => {
      const s = (breakdown ?? [])[i]?.steps[stepIndex];
      row[`s${i}`] = s?.conversionFromStart ?? 0;
    });
    return row;
  });
  return { rows: chartRows, series };
}

export interface WeekRange {
  label: string;
  from: string;
  to: string;
  /** The range cuts this week short (first or last week), so its numbers cover fewer days. */
  partial: boolean;
}

const DAY_MS = 86_400_000;
/** The cohort chart stops at half a year of weeks; longer custom ranges show their latest 26 weeks. */
export const MAX_COHORT_WEEKS = 26;

/**
 * Splits `[from, to]` into ISO weeks (Monday 00:00 UTC), clipped to the range, oldest first. The label is the
 * week's Monday, the convention the TTFSI cohorts use too.
 */
export function weeklyRanges(fromIso: string, toIso: string): WeekRange[] {
  const from = Date.parse(fromIso);
  const to = Date.parse(toIso);
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) return [];
  const start = new Date(from);
  const mondayOffset = (start.getUTCDay() + 6) % 7;
  let weekStart = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()) - mondayOffset * DAY_MS;
  const weeks: WeekRange[] = [];
  while (weekStart <= to) {
    const weekEnd = weekStart + 7 * DAY_MS - 1;
    weeks.push({
      label: new Date(weekStart).toISOString().slice(0, 10),
      from: new Date(Math.max(weekStart, from)).toISOString(),
      to: new Date(Math.min(weekEnd, to)).toISOString(),
      partial: weekStart < from || weekEnd > to,
    });
    weekStart += 7 * DAY_MS;
  }
  return weeks.slice(-MAX_COHORT_WEEKS);
}

export interface CohortRow {
  week: string;
  partial: boolean;
  started: number;
  converted: number;
  inProgress: number;
  conversion: number | null;
}

/**
 * One row per week from a funnel run over that week alone: persons who started, finished every step, or are
 * still inside their window at the week's end (summed over steps, since each person sits at one depth).
 */
export function cohortRow(week: string, res: Pick<FunnelResponse, 'steps'>, partial = false): CohortRow {
  const started = res.steps[0]?.count ?? 0;
  const last = res.steps[res.steps.length - 1];
  const converted = res.steps.length > 1 ? (last?.count ?? 0) : started;
  const inProgress = res.steps.slice(1).reduce((sum, s) => sum + s.inProgress, 0);
  return { week, partial, started, converted, inProgress, conversion: started > 0 ? converted / started : null };
}

/** A breakdown with a single value (or none) has nothing to compare: the page says so instead of drawing 100% bars. */
export function singleBreakdownValue(breakdown: FunnelResponse['breakdown']): string | null {
  const rows = breakdownRows(breakdown);
  return rows.length === 1 ? rows[0]!.value : null;
}
