/** TTFSI headline cards against the previous period, why its "completed" differs from the funnel's, and its method. */
import type { TtfsiReport as TtfsiResponse } from '../../../api/analytics/contract.ts';
import { formatCount, formatDuration, formatPercent } from './format.ts';
import { compareCount, compareDuration, compareRate } from './kpi.ts';
import { HowComputed, KpiCard } from './ui.tsx';

const completion = (completed: number, inProgress: number) => (completed + inProgress > 0 ? completed / (completed + inProgress) : null);

/** One headline median (counting developers still trying), completions and completion rate, each with its change. */
export function TtfsiKpis({ data }: { data: TtfsiResponse }) {
  const before = data.previous;
  return (
    <>
      <div className="stats">
        <KpiCard
          label="Median time to first success"
          value={formatDuration(data.kaplanMeier.median)}
          hint="counting developers still trying"
          testId="ttfsi-median"
          change={compareDuration(data.kaplanMeier.median, before.median, 'lower')}
        />
        <KpiCard
          label="Completed"
          value={formatCount(data.completed)}
          hint="signed up in range, first successful call by its end"
          testId="ttfsi-completed"
          change={compareCount(data.completed, before.completed, 'higher')}
        />
        <KpiCard
          label="Completion rate"
          value={formatPercent(completion(data.completed, data.inProgress))}
          hint="of developers who signed up in range"
          testId="ttfsi-completion"
          change={compareRate(completion(data.completed, data.inProgress), completion(before.completed, before.inProgress), 'higher', before.completionP)}
        />
        <KpiCard
          label="Still trying"
          value={formatCount(data.inProgress)}
          hint="signed up, no successful call yet"
          testId="ttfsi-inprogress"
          change={compareCount(data.inProgress, before.inProgress, 'none')}
        />
      </div>
      <p className="stats-note" data-testid="ttfsi-vs-funnel">
        Why “Completed” can be higher than the funnel’s: here a developer completes whenever their first successful call comes before the end of the range,
        however long it took, and whether or not they created a key first on the way. The funnel counts only those who went through every step, in order, within
        its conversion window (14 days by default).
      </p>
    </>
  );
}

/** The exact statistics behind the TTFSI page. */
export function TtfsiMethod({ data }: { data: TtfsiResponse }) {
  return (
    <HowComputed>
      <ul>
        <li>
          The clock starts at a developer’s first <code>signed_up</code> in the range and stops at their first 2xx <code>api_call</code> at or after it, up to
          the end of the range. There is no window.
        </li>
        <li>
          The headline median is the Kaplan–Meier median: developers still trying are right-censored at the end of the range (their time so far counts as “at
          least this long”), so slow starters are not left out as they would be in a median of completions only.
        </li>
        <li data-testid="ttfsi-percentiles">
          Of the {formatCount(data.completed)} who completed: median {formatDuration(data.percentiles.p50)}, p75 {formatDuration(data.percentiles.p75)}, p90{' '}
          {formatDuration(data.percentiles.p90)}, p95 {formatDuration(data.percentiles.p95)} (linear interpolation).
        </li>
        <li>
          Changes compare with the period of the same length before the range. The completion rate’s change is tested with a two-sided two-proportion z-test
          (“not significant” when p ≥ 0.05, or with under 30 developers in either period); counts and the median are not tested.
        </li>
      </ul>
    </HowComputed>
  );
}
