/**
 * Pure shaping of time to first successful integration from per-person `(start, seconds)` rows.
 */
import type { TtfsiReport } from './contract.ts';
import { curvePoints, histogram, kaplanMeierSorted, percentileSorted, percentilesInPlace } from './stats.ts';
import type { TtfsiRow } from './ttfsi-query.ts';
import { NumberList, sortAscending } from './typed-arrays.ts';

export type { TtfsiReport };

const DAY = 86_400_000;

/** Monday (UTC) of the ISO week holding `ms`, in days since 1970-01-01. */
function isoWeekMonday(ms: number): number {
  const day = Math.floor(ms / DAY);
  // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
  return day - ((((day + 3) % 7) + 7) % 7);
}

/** Monday (UTC) of the ISO week holding `ms`, as YYYY-MM-DD. */
export function isoWeekStart(ms: number): string {
  return new Date(isoWeekMonday(ms) * DAY).toISOString().slice(0, 10);
}

/**
 * Accumulates rows, then shapes the report. Persons who have not completed are in progress and are censored at
 * `to` in the Kaplan–Meier estimate (their time observed so far is `to − start`). Percentiles, histogram and
 * cohort p50 are over completed persons only, in seconds, with linear interpolation. Without `cohorts` (a period
 * that only shows its {@link summary}), the weekly cohorts are not kept.
 */
export function createTtfsiCollector(to: number, cohorts = true) {
  // Completed and censored durations, each list sorted when the report is shaped.
  const done = new NumberList();
  const censored = new NumberList();
  // Keyed by the Monday's day number: a date string per row cost more than the rest of the report.
  const weeks = new Map<number, { started: number; durations: NumberList }>();
  return {
    add(row: TtfsiRow) {
      if (row.seconds === null) censored.push((to - row.start) / 1000);
      else done.push(row.seconds);
      if (!cohorts) return;
      const week = isoWeekMonday(row.start);
      let cohort = weeks.get(week);
      if (!cohort) weeks.set(week, (cohort = { started: 0, durations: new NumberList() }));
      cohort.started += 1;
      if (row.seconds !== null) cohort.durations.push(row.seconds);
    },
    /** What the previous period shows: counts and the Kaplan–Meier median. */
    summary(): Pick<TtfsiReport, 'completed' | 'inProgress'> & { median: number | null } {
      return {
        completed: done.length,
        inProgress: censored.length,
        median: kaplanMeierSorted(sortAscending(done.copy()), sortAscending(censored.copy())).median,
      };
    },
    result(): Omit<TtfsiReport, 'previous'> {
      const sorted = sortAscending(done.copy());
      const km = kaplanMeierSorted(sorted, sortAscending(censored.copy()));
      return {
        completed: done.length,
        inProgress: censored.length,
        percentiles: {
          p50: percentileSorted(sorted, 0.5),
          p75: percentileSorted(sorted, 0.75),
          p90: percentileSorted(sorted, 0.9),
          p95: percentileSorted(sorted, 0.95),
        },
        kaplanMeier: { median: km.median, points: curvePoints(km) },
        histogram: histogram(sorted),
        cohorts: [...weeks.entries()]
          .sort(([a], [b]) => a - b)
          .map(([monday, c]) => ({
            week: new Date(monday * DAY).toISOString().slice(0, 10),
            started: c.started,
            completed: c.durations.length,
            // A selection, not a sort: only the middle of each week's durations is read.
            p50: percentilesInPlace(c.durations.copy(), [0.5])[0] ?? null,
          })),
      };
    },
  };
}
