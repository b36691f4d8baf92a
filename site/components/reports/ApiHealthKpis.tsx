/** API health headline cards, each against the previous period of the same length (read with one extra request). */
import type { ApiHealthReport as ApiHealthResponse } from '../../../api/analytics/contract.ts';
import { budgetText, formatAvailability, formatNines } from './availability-shape.ts';
import { formatCount, formatDecimal, formatMs, formatPercent } from './format.ts';
import { useApi } from './hooks.ts';
import { compareCount, compareRate, compareValue } from './kpi.ts';
import { KpiCard } from './ui.tsx';

/** `[from − (to − from), from − 1 ms]`, the previous period every report compares with. */
export function previousRange(range: { from: string; to: string }): { from: string; to: string } {
  const from = Date.parse(range.from);
  const to = Date.parse(range.to);
  return { from: new Date(from - (to - from)).toISOString(), to: new Date(from - 1).toISOString() };
}

/** Calls, error rate, availability with its SLO budget, median latency and support tickets, with their change. */
export function ApiHealthKpis({ data, range }: { data: ApiHealthResponse; range: { from: string; to: string } }) {
  const previous = useApi<ApiHealthResponse>('/api/v1/reports/api-health', previousRange(range)).data;
  const before = previous?.overall;
  const now = data.overall;
  const budget = budgetText(now.slo);
  return (
    <div className="stats">
      <KpiCard label="Calls" value={formatCount(now.calls)} testId="health-overall-calls" change={compareCount(now.calls, before?.calls, 'higher')} />
      <KpiCard
        label="Error rate"
        value={formatPercent(now.errorRate)}
        hint="5xx and 4xx except 429"
        testId="health-overall-error-rate"
        change={compareRate(now.errorRate, before?.errorRate, 'lower')}
      />
      <KpiCard
        label="Availability"
        value={formatNines(now.nines)}
        hint={`${formatAvailability(now.availability)} of calls without a 5xx`}
        testId="health-availability"
        change={compareValue(now.nines, before?.nines, 'higher', formatNines)}
      />
      <KpiCard
        label="SLO error budget left"
        value={budget.remaining}
        hint={`${budget.overspent ? 'overspent: ' : ''}target ${budget.target} availability`}
        testId="health-slo-budget"
        change={compareValue(now.slo.errorBudgetRemaining, before?.slo.errorBudgetRemaining, 'higher', (v) => formatPercent(v, 0))}
      />
      <KpiCard
        label="Latency p50 / p95"
        value={`${formatMs(now.p50Ms)} / ${formatMs(now.p95Ms)}`}
        hint={`p99 ${formatMs(now.p99Ms)} · change of the p50`}
        testId="health-latency"
        change={compareValue(now.p50Ms, before?.p50Ms, 'lower', formatMs)}
      />
      <KpiCard
        label="Support tickets"
        value={formatDecimal(data.supportTicketsPer1kCalls, 2)}
        hint="per 1,000 calls"
        testId="health-tickets"
        change={compareValue(data.supportTicketsPer1kCalls, previous?.supportTicketsPer1kCalls, 'lower', (v) => formatDecimal(v, 2))}
      />
    </div>
  );
}
