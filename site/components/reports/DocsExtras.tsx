/** Doc satisfaction: headline cards against the previous period, one page's trend, and the method disclosure. */
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { DocsReport as DocsResponse, DocTrend, DocTrendPoint } from '../../../api/analytics/contract.ts';
import { formatCount, formatPercent } from './format.ts';
import { useApi } from './hooks.ts';
import { compareCount, compareRate } from './kpi.ts';
import { AXIS_TICK, COLORS } from './palette.ts';
import { ChartFigure, type Column, EmptyState, ErrorMessage, HowComputed, KpiCard, Loading, legendFormatter } from './ui.tsx';

/** Views, readers, votes and the helpful rate over docs and quickstart pages, each against the previous period. */
export function DocsKpis({ data }: { data: DocsResponse }) {
  const now = data.summary;
  const before = data.previous;
  return (
    <div className="stats">
      <KpiCard
        label="Doc page views"
        value={formatCount(now.views)}
        hint="docs and quickstarts"
        testId="docs-views"
        change={compareCount(now.views, before.views, 'higher')}
      />
      <KpiCard
        label="Readers"
        value={formatCount(now.readers)}
        hint="developers who read them"
        testId="docs-readers"
        change={compareCount(now.readers, before.readers, 'higher')}
      />
      <KpiCard
        label="Helpful rate"
        value={formatPercent(now.helpfulRate, 0)}
        hint={`${formatCount(now.helpful)} of ${formatCount(now.helpful + now.notHelpful)} votes`}
        testId="docs-helpful"
        change={compareRate(now.helpfulRate, before.helpfulRate, 'higher', before.helpfulRateP)}
      />
      <KpiCard
        label="Votes"
        value={formatCount(now.helpful + now.notHelpful)}
        hint="latest vote per reader and page"
        testId="docs-votes"
        change={compareCount(now.helpful + now.notHelpful, before.helpful + before.notHelpful, 'higher')}
      />
    </div>
  );
}

const trendColumns: Column<DocTrendPoint>[] = [
  { header: 'Period', value: (r) => r.period },
  { header: 'Views', value: (r) => r.views, render: (r) => formatCount(r.views), numeric: true },
  { header: 'Helpful votes', value: (r) => r.helpful, numeric: true },
  { header: 'Not helpful votes', value: (r) => r.notHelpful, numeric: true },
  { header: 'Helpful rate', value: (r) => r.helpfulRate, render: (r) => formatPercent(r.helpfulRate, 0), numeric: true },
];

/** A page's views (bars) and helpful rate (line) per day or week of the range. */
export function PageTrend({ path, range }: { path: string; range: { from: string; to: string } }) {
  const trend = useApi<DocTrend>('/api/v1/reports/docs/trend', { ...range, path });
  if (trend.status === 'loading') return <Loading label="Loading the page’s trend…" />;
  if (trend.status === 'error') return <ErrorMessage message={trend.error} onRetry={trend.reload} />;
  const data = trend.data;
  if (!data || data.points.every((p) => p.views === 0 && p.helpful + p.notHelpful === 0)) return <EmptyState title="No views or votes in this range." />;
  return (
    <div data-testid="doc-trend">
      <ChartFigure
        title={`Views and helpful rate per ${data.bucket}`}
        summary="Bars: page views; line: share of helpful votes cast that period."
        height={240}
        chart={
          <ResponsiveContainer width="100%" height="100%">
            <ComposedChart data={data.points} margin={{ top: 8, right: 8, bottom: 8, left: 0 }} accessibilityLayer={false}>
              <CartesianGrid vertical={false} stroke={COLORS.grid} />
              <XAxis dataKey="period" tick={AXIS_TICK} tickFormatter={(d: string) => d.slice(5)} />
              <YAxis yAxisId="views" tick={AXIS_TICK} allowDecimals={false} />
              <YAxis yAxisId="rate" orientation="right" tick={AXIS_TICK} domain={[0, 1]} tickFormatter={(v: number) => `${Math.round(v * 100)}%`} />
              <Tooltip formatter={(v, name) => (name === 'Helpful rate' ? formatPercent(Number(v), 0) : formatCount(Number(v)))} />
              <Legend formatter={legendFormatter} itemSorter={null} />
              <Bar yAxisId="views" dataKey="views" name="Views" fill="#94a3b8" stroke={COLORS.neutral} isAnimationActive={false} />
              <Line
                yAxisId="rate"
                type="monotone"
                dataKey="helpfulRate"
                name="Helpful rate"
                stroke={COLORS.reached}
                strokeWidth={3}
                dot={{ r: 3 }}
                connectNulls
                isAnimationActive={false}
              />
            </ComposedChart>
          </ResponsiveContainer>
        }
        table={{ columns: trendColumns, rows: data.points, rowKey: (r) => r.period, csvName: `trend ${path}` }}
      />
    </div>
  );
}

/** The exact statistics behind the doc satisfaction page. */
export function DocsMethod() {
  return (
    <HowComputed>
      <ul>
        <li>Votes come from “Was this page helpful?” at the foot of each page; a reader’s latest vote per page counts, so a changed mind counts once.</li>
        <li>
          <strong>Helpful, adjusted for few votes</strong> is the lower bound of the 95% Wilson score interval of the helpful rate: a page with two helpful
          votes scores lower than one with 90 of 100, so pages are ranked by how sure we are they help. The table starts with the lowest.
        </li>
        <li>
          <strong>Reader conversion</strong>: of developers who read the page, the share whose first successful API call came after their first view of it, by
          the end of the range. <strong>Non-reader conversion</strong>: the same for developers who read other pages but not this one.
        </li>
        <li>
          <strong>Needs work</strong>: at least 5 votes and under 50% helpful, or a busy page (in the top quarter by readers, and at least 20) whose readers
          convert significantly less than non-readers (two-proportion z-test, p &lt; 0.05).
        </li>
        <li>
          Cards cover docs and quickstart pages and compare with the period of the same length before the range; the helpful rate’s change is tested with a
          two-proportion z-test (“not significant” when p ≥ 0.05).
        </li>
      </ul>
    </HowComputed>
  );
}
