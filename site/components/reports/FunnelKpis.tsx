/** The funnel page's headline cards with their change against the previous period, and its method disclosure. */
import type { FunnelReport as FunnelResponse } from '../../../api/analytics/contract.ts';
import { formatCount, formatPercent } from './format.ts';
import { compareCount, compareRate } from './kpi.ts';
import type { ReportQuery } from './query.ts';
import { HowComputed, KpiCard } from './ui.tsx';

/** Developers inside their window, not yet at the next step: each sits at one depth, so the steps' counts add up. */
function inProgressOf(steps: FunnelResponse['steps']): number {
  return steps.reduce((sum, s, i) => sum + (i === 0 ? 0 : s.inProgress), 0);
}

/** `/reports/alerts/?new=1&steps=…&window=…`: the alert form opened with this funnel's steps and window. */
export function alertFromFunnelHref(query: Pick<ReportQuery, 'steps' | 'window'>): string {
  return `/reports/alerts/?${new URLSearchParams({ new: '1', steps: query.steps.join(','), window: query.window })}`;
}

/** Started, completed, overall conversion and in progress, each against the previous period of the same length. */
export function FunnelKpis({ data, query }: { data: FunnelResponse; query: ReportQuery }) {
  const first = data.steps[0];
  const last = data.steps[data.steps.length - 1];
  const before = data.previous.steps;
  const beforeFirst = before[0];
  const beforeLast = before[before.length - 1];
  return (
    <>
      <div className="stats">
        <KpiCard
          label="Started"
          value={formatCount(first?.count)}
          hint={first?.event}
          testId="funnel-started"
          change={compareCount(first?.count ?? 0, beforeFirst?.count, 'higher')}
        />
        <KpiCard
          label="Completed"
          value={formatCount(last?.count)}
          hint={`${last?.event} within ${data.window}`}
          testId="funnel-completed"
          change={compareCount(last?.count ?? 0, beforeLast?.count, 'higher')}
        />
        <KpiCard
          label="Overall conversion"
          value={formatPercent(last?.conversionFromStart)}
          hint="from the first step to the last"
          testId="funnel-overall"
          change={compareRate(last?.conversionFromStart ?? null, beforeLast?.conversionFromStart, 'higher', data.previous.overallConversionP)}
        />
        <KpiCard
          label="Still in progress"
          value={formatCount(inProgressOf(data.steps))}
          hint={`inside the ${data.window} window`}
          testId="funnel-inprogress"
          change={compareCount(inProgressOf(data.steps), inProgressOf(before), 'none')}
        />
      </div>
      <p className="stats-note">
        Changes compare with the {formatCount(Math.round((Date.parse(data.to) - Date.parse(data.from)) / 86_400_000))} days before this range.{' '}
        <a href={alertFromFunnelHref(query)} data-testid="funnel-alert-link">
          Alert me when this funnel drops
        </a>
      </p>
    </>
  );
}

/** The exact rules behind the funnel page's numbers. */
export function FunnelMethod() {
  return (
    <HowComputed>
      <ul>
        <li>
          A developer counts at the deepest step they reached, in order, within the conversion window that starts at their step-1 event (PostHog’s funnel
          rules); everyone is counted once, however many ids they used.
        </li>
        <li>
          <strong>Dropped</strong>: reached the previous step but not this one, and their window has closed. <strong>In progress</strong>: the same, but their
          window is still open at the end of the range, so they may still convert.
        </li>
        <li>
          <strong>Significant drop</strong>: a step’s conversion from the previous step is compared with the period of the same length before the range by a
          two-sided two-proportion z-test; a drop with p &lt; 0.05 is flagged (high when p &lt; 0.01). Both periods need at least 30 developers at the previous
          step.
        </li>
        <li>
          The change on each card compares with the previous period; “not significant” means the same z-test on the overall conversion gives p ≥ 0.05, so the
          change could be chance. Counts are not tested.
        </li>
        <li>
          <strong>Slowest step</strong>: the step with the longest median time from the previous step. <strong>Low conversion</strong>: under the minimum
          conversion (25% unless set).
        </li>
      </ul>
    </HowComputed>
  );
}
