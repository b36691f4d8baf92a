/** Time to first successful integration page island (charts: recharts, see FunnelReport.tsx for why). */
import { Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { TtfsiReport as TtfsiResponse } from '../../../api/analytics/contract.ts';
import { RangeControl } from './Controls.tsx';
import { formatCount, formatDuration, formatPercent } from './format.ts';
import { Gate } from './Gate.tsx';
import { useApi, useUrlQuery } from './hooks.ts';
import { AXIS_TICK, COLORS } from './palette.ts';
import { TtfsiKpis, TtfsiMethod } from './TtfsiKpis.tsx';
import {
  type HistogramRow,
  histogramRows,
  isEmptyTtfsi,
  logTimeTicks,
  type SurvivalPoint,
  survivalCurve,
  type TtfsiCohortRow,
  ttfsiCohorts,
} from './ttfsi-shape.ts';
import { Card, ChartFigure, type Column, EmptyState, ErrorMessage, Loading, legendFormatter } from './ui.tsx';

const histogramColumns: Column<HistogramRow>[] = [
  { header: 'Time to first success', value: (r) => r.label },
  { header: 'From (s)', value: (r) => r.fromSeconds, numeric: true },
  { header: 'To (s)', value: (r) => r.toSeconds, numeric: true },
  { header: 'Persons', value: (r) => r.count, render: (r) => formatCount(r.count), numeric: true },
];

const survivalColumns: Column<SurvivalPoint>[] = [
  { header: 'Time', value: (r) => r.seconds, render: (r) => formatDuration(r.seconds) },
  { header: 'Seconds', value: (r) => r.seconds, numeric: true },
  { header: 'Still without a first success', value: (r) => r.survival, render: (r) => formatPercent(r.survival), numeric: true },
];

const cohortColumns: Column<TtfsiCohortRow>[] = [
  { header: 'Week of', value: (r) => r.week },
  { header: 'Started', value: (r) => r.started, render: (r) => formatCount(r.started), numeric: true },
  { header: 'Completed', value: (r) => r.completed, render: (r) => formatCount(r.completed), numeric: true },
  { header: 'Completion', value: (r) => r.completion, render: (r) => formatPercent(r.completion), numeric: true },
  { header: 'Median (s)', value: (r) => r.p50, render: (r) => formatDuration(r.p50), numeric: true },
];

const hoursTick = (h: number) => formatDuration(h * 3600);

function TtfsiBody() {
  const { query, range, update, refresh } = useUrlQuery();
  const report = useApi<TtfsiResponse>('/api/v1/reports/ttfsi', { from: range.from, to: range.to });
  const data = report.data;
  const curve = data ? survivalCurve(data.kaplanMeier) : [];
  const medianMinutes = data?.kaplanMeier.median != null ? Math.max(1, data.kaplanMeier.median / 60) : null;
  const ticks = logTimeTicks(curve.reduce((max, p) => Math.max(max, p.minutes), 1));
  const histogram = data ? histogramRows(data.histogram) : [];
  const cohorts = data ? ttfsiCohorts(data.cohorts) : [];
  return (
    <>
      <div className="controls-panel">
        <RangeControl query={query} range={range} onChange={update} onRefresh={refresh} />
      </div>
      {report.status === 'loading' ? <Loading label="Computing time to first success…" /> : null}
      {report.status === 'error' ? <ErrorMessage message={report.error} onRetry={report.reload} /> : null}
      {data && isEmptyTtfsi(data) ? (
        <EmptyState title="Nobody signed up in this range.">
          Pick a longer range; the clock starts at <code>signed_up</code>.
        </EmptyState>
      ) : null}
      {data && !isEmptyTtfsi(data) ? (
        <div className="report-body" data-testid="ttfsi-report">
          <TtfsiKpis data={data} />
          <div className="grid-2">
            <Card title="How long it takes" description="Persons who completed, by time from signup to their first 2xx call.">
              {histogram.length === 0 ? (
                <EmptyState title="Nobody has completed yet in this range." />
              ) : (
                <ChartFigure
                  title="Time to first success histogram"
                  summary="Persons per time bucket."
                  chart={
                    <ResponsiveContainer width="100%" height="100%">
                      <BarChart data={histogram} margin={{ top: 8, right: 8, bottom: 8, left: 0 }} accessibilityLayer={false}>
                        <CartesianGrid vertical={false} stroke={COLORS.grid} />
                        <XAxis dataKey="label" tick={AXIS_TICK} interval="preserveStartEnd" />
                        <YAxis tick={AXIS_TICK} allowDecimals={false} />
                        <Tooltip />
                        <Bar dataKey="count" name="Persons" fill={COLORS.reached} isAnimationActive={false} />
                      </BarChart>
                    </ResponsiveContainer>
                  }
                  table={{ columns: histogramColumns, rows: histogram, rowKey: (r) => String(r.fromSeconds), csvName: 'ttfsi histogram' }}
                />
              )}
            </Card>
            <Card
              title="Still waiting for a first success"
              description="Share of developers still without a successful call, over time since signup (log scale). Developers still trying count for as long as we have watched them, not as failures."
            >
              <ChartFigure
                title="Share still without a first success"
                summary={`Share still without a first successful call over time; median ${formatDuration(data.kaplanMeier.median)}.`}
                chart={
                  <ResponsiveContainer width="100%" height="100%">
                    <LineChart data={curve} margin={{ top: 16, right: 16, bottom: 8, left: 0 }} accessibilityLayer={false}>
                      <CartesianGrid stroke={COLORS.grid} />
                      <XAxis
                        dataKey="minutes"
                        type="number"
                        scale="log"
                        domain={[1, ticks[ticks.length - 1]!]}
                        ticks={ticks}
                        allowDataOverflow
                        tick={AXIS_TICK}
                        tickFormatter={(m: number) => formatDuration(m * 60)}
                      />
                      <YAxis tick={AXIS_TICK} tickFormatter={(v: number) => `${Math.round(v * 100)}%`} domain={[0, 1]} />
                      <Tooltip formatter={(v) => formatPercent(Number(v))} labelFormatter={(m) => formatDuration(Number(m) * 60)} />
                      <ReferenceLine y={0.5} stroke={COLORS.neutral} strokeDasharray="4 4" />
                      {medianMinutes !== null ? (
                        <ReferenceLine
                          x={medianMinutes}
                          stroke={COLORS.median}
                          strokeWidth={2}
                          label={{
                            value: `median ${formatDuration(data.kaplanMeier.median)}`,
                            position: 'insideTopLeft',
                            fill: COLORS.median,
                            fontSize: 12,
                            fontWeight: 600,
                          }}
                        />
                      ) : null}
                      <Line
                        type="stepAfter"
                        dataKey="survival"
                        name="Without first success"
                        stroke={COLORS.reached}
                        strokeWidth={2.5}
                        dot={false}
                        isAnimationActive={false}
                      />
                    </LineChart>
                  </ResponsiveContainer>
                }
                table={{ columns: survivalColumns, rows: curve, rowKey: (r) => String(r.seconds), csvName: 'ttfsi still without first success' }}
              />
            </Card>
          </div>
          <Card title="Weekly cohorts" description="Developers grouped by the week (Monday, UTC) they signed up: how many completed and their median time.">
            {cohorts.length === 0 ? (
              <EmptyState title="No weekly cohorts in this range." />
            ) : (
              <ChartFigure
                title="TTFSI weekly cohort trend"
                summary="Bars: started and completed per week; line: median hours."
                chart={
                  <ResponsiveContainer width="100%" height="100%">
                    <ComposedChart data={cohorts} margin={{ top: 8, right: 8, bottom: 8, left: 0 }} accessibilityLayer={false}>
                      <CartesianGrid vertical={false} stroke={COLORS.grid} />
                      <XAxis dataKey="week" tick={AXIS_TICK} />
                      <YAxis yAxisId="persons" tick={AXIS_TICK} allowDecimals={false} />
                      <YAxis yAxisId="hours" orientation="right" tick={AXIS_TICK} tickFormatter={hoursTick} />
                      <Tooltip formatter={(v, name) => (name === 'Median time' ? formatDuration(Number(v) * 3600) : formatCount(Number(v)))} />
                      <Legend formatter={legendFormatter} itemSorter={null} />
                      <Bar yAxisId="persons" dataKey="started" name="Started" fill="#94a3b8" stroke={COLORS.neutral} isAnimationActive={false} />
                      <Bar yAxisId="persons" dataKey="completed" name="Completed" fill={COLORS.reached} isAnimationActive={false} />
                      <Line
                        yAxisId="hours"
                        type="monotone"
                        dataKey="p50Hours"
                        name="Median time"
                        stroke={COLORS.median}
                        strokeWidth={3}
                        dot={{ r: 4 }}
                        connectNulls
                        isAnimationActive={false}
                      />
                    </ComposedChart>
                  </ResponsiveContainer>
                }
                table={{ columns: cohortColumns, rows: cohorts, rowKey: (r) => r.week, csvName: 'ttfsi weekly cohorts' }}
              />
            )}
          </Card>
          <TtfsiMethod data={data} />
        </div>
      ) : null}
    </>
  );
}

/** The TTFSI page island. */
export default function TtfsiReport() {
  return (
    <Gate>
      <TtfsiBody />
    </Gate>
  );
}
