/**
 * Funnel page island. Charts use recharts: its ES-module build is tree-shaken (`sideEffects: false`, so only the
 * chart types imported here ship), it is actively maintained, renders real SVG from declarative React components
 * and supports React 19 since v3.
 */
import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, ComposedChart, LabelList, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { FunnelReport as FunnelResponse } from '../../../api/analytics/contract.ts';
import { getJson, ReportApiError } from './api.ts';
import { FunnelControls, RangeControl } from './Controls.tsx';
import { FunnelKpis, FunnelMethod } from './FunnelKpis.tsx';
import { developers, type FlagCallout, flagCallout, withEvidenceOnce } from './flag-shape.ts';
import { formatCount, formatDuration, formatPercent } from './format.ts';
import {
  type BreakdownTableRow,
  breakdownChart,
  breakdownRows,
  type CohortRow,
  cohortRow,
  type FunnelBarRow,
  funnelBars,
  isEmptyFunnel,
  type StepTimeRow,
  singleBreakdownValue,
  stepTimes,
  weeklyRanges,
} from './funnel-shape.ts';
import { Gate } from './Gate.tsx';
import { useApi, useNarrow, useUrlQuery } from './hooks.ts';
import { AXIS_TICK, COLORS, seriesColor } from './palette.ts';
import { funnelParams, type ReportQuery } from './query.ts';
import { Card, ChartFigure, type Column, DataTable, EmptyState, ErrorMessage, Loading, legendFormatter, Segmented } from './ui.tsx';

const percentTick = (v: number) => `${Math.round(v * 100)}%`;

function FlagCallouts({ callouts }: { callouts: FlagCallout[] }) {
  if (callouts.length === 0) return null;
  return (
    <section className="flags" aria-label="Flagged steps">
      {withEvidenceOnce(callouts).map((c) => (
        <article key={c.key} className={`flag flag-${c.severity}`} data-testid="funnel-flag">
          <header>
            <span className={`badge badge-${c.severity}`}>{c.severity}</span>
            <h2>
              {c.title}: <span className="flag-transition">{c.transition}</span>
            </h2>
          </header>
          {c.explanation ? (
            <p className="flag-explain" data-testid="flag-explanation">
              {c.explanation}
            </p>
          ) : (
            <p className="flag-message">{c.message}</p>
          )}
          {c.rateChange ? <p className="flag-rates">{c.rateChange}</p> : null}
          {c.evidenceAbove ? (
            <p className="muted small">What these developers ran into is listed under the flag above.</p>
          ) : (
            <div className="flag-evidence" data-testid="flag-evidence">
              <div>
                <h3>Top errors hit by those who stalled</h3>
                {c.topErrors.length ? (
                  <ul>
                    {c.topErrors.map((e) => (
                      <li key={e.code}>
                        <code>{e.code}</code>: <span className="muted">{e.label}</span>
                      </li>
                    ))}
                  </ul>
                ) : (
                  <p className="muted">No API errors among them.</p>
                )}
              </div>
              <div>
                <h3>Last pages read before stalling</h3>
                {c.lastPages.length ? (
                  <ul>
                    {c.lastPages.map((p) => (
                      <li key={p.path}>
                        <a href={p.href}>{p.path}</a>{' '}
                        <span className="muted">
                          last page of {developers(p.count)} · {p.helpfulRate === null ? 'no votes' : `${formatPercent(p.helpfulRate, 0)} found it helpful`}
                        </span>
                      </li>
                    ))}
                  </ul>
                ) : (
                  <p className="muted">No doc pages read.</p>
                )}
              </div>
            </div>
          )}
        </article>
      ))}
    </section>
  );
}

const stepColumns: Column<FunnelBarRow & StepTimeRow>[] = [
  { header: 'Step', value: (r) => r.label },
  { header: 'Persons', value: (r) => r.reached, render: (r) => formatCount(r.reached), numeric: true, testId: (_, i) => `funnel-count-${i}` },
  {
    header: 'From start',
    value: (r) => r.conversionFromStart,
    render: (r) => formatPercent(r.conversionFromStart),
    numeric: true,
    testId: (_, i) => `funnel-conv-start-${i}`,
  },
  {
    header: 'From previous',
    value: (r) => r.conversionFromPrevious,
    render: (r) => formatPercent(r.conversionFromPrevious),
    numeric: true,
    testId: (_, i) => `funnel-conv-prev-${i}`,
  },
  { header: 'Dropped', value: (r) => r.dropped, render: (r) => formatCount(r.dropped), numeric: true, testId: (_, i) => `funnel-dropped-${i}` },
  { header: 'In progress', value: (r) => r.inProgress, render: (r) => formatCount(r.inProgress), numeric: true, testId: (_, i) => `funnel-inprogress-${i}` },
  { header: 'Median time', value: (r) => r.medianSeconds, render: (r) => formatDuration(r.medianSeconds), numeric: true },
  { header: 'p90 time', value: (r) => r.p90Seconds, render: (r) => formatDuration(r.p90Seconds), numeric: true },
];

const timeColumns: Column<StepTimeRow>[] = [
  { header: 'Between', value: (r) => r.label },
  { header: 'Median (s)', value: (r) => r.medianSeconds, render: (r) => formatDuration(r.medianSeconds), numeric: true },
  { header: 'p90 (s)', value: (r) => r.p90Seconds, render: (r) => formatDuration(r.p90Seconds), numeric: true },
];

function StepsCard({ data }: { data: FunnelResponse }) {
  const narrow = useNarrow();
  const axisWidth = narrow ? 64 : 190;
  const bars = funnelBars(data.steps).map((b) => ({ ...b, percentLabel: formatPercent(b.conversionFromStart, 0) }));
  const times = stepTimes(data.steps);
  const rows = bars.map((b, i) => ({
    ...b,
    medianSeconds: i === 0 ? null : (times[i - 1]?.medianSeconds ?? null),
    p90Seconds: i === 0 ? null : (times[i - 1]?.p90Seconds ?? null),
  }));
  const height = Math.max(180, bars.length * 64 + 60);
  return (
    <Card
      title="Conversion by step"
      description="Each bar is the developers who reached the step, labelled with their share of step 1; the rest of the previous step either dropped out (past their window) or is still in progress."
    >
      <div className="chart-canvas" style={{ height }} aria-hidden="true">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={bars} layout="vertical" margin={{ top: 8, right: 56, bottom: 8, left: 8 }} accessibilityLayer={false}>
            <CartesianGrid horizontal={false} stroke={COLORS.grid} />
            <XAxis type="number" tick={AXIS_TICK} allowDecimals={false} />
            <YAxis type="category" dataKey={narrow ? 'short' : 'label'} width={axisWidth} tick={AXIS_TICK} />
            <Tooltip />
            <Legend formatter={legendFormatter} itemSorter={null} />
            <Bar dataKey="reached" name="Reached" stackId="step" fill={COLORS.reached} isAnimationActive={false} />
            <Bar dataKey="inProgress" name="In progress" stackId="step" fill={COLORS.inProgress} isAnimationActive={false} />
            <Bar dataKey="dropped" name="Dropped" stackId="step" fill={COLORS.dropped} isAnimationActive={false}>
              {/* On the last segment of the stack, so the share of step 1 sits at the end of each step's bar. */}
              <LabelList dataKey="percentLabel" position="right" fill={COLORS.axis} fontSize={12} fontWeight={600} />
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </div>
      <DataTable caption="Funnel steps" columns={stepColumns} rows={rows} rowKey={(r) => r.label} csvName="funnel steps" />
      {times.length ? (
        <>
          <h3 className="subhead">Time between steps</h3>
          <ChartFigure
            title="Median and p90 time between steps"
            summary="Bars per step transition; times in the table."
            height={Math.max(160, times.length * 56 + 60)}
            chart={
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={times} layout="vertical" margin={{ top: 8, right: 24, bottom: 8, left: 8 }} accessibilityLayer={false}>
                  <CartesianGrid horizontal={false} stroke={COLORS.grid} />
                  <XAxis type="number" tick={AXIS_TICK} tickFormatter={(v: number) => formatDuration(v)} />
                  <YAxis type="category" dataKey={narrow ? 'short' : 'label'} width={axisWidth} tick={AXIS_TICK} />
                  <Tooltip formatter={(v) => formatDuration(Number(v))} />
                  <Legend formatter={legendFormatter} itemSorter={null} />
                  <Bar dataKey="medianSeconds" name="Median" fill={COLORS.reached} isAnimationActive={false} />
                  <Bar dataKey="p90Seconds" name="p90" fill={COLORS.neutral} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            }
            table={{ columns: timeColumns, rows: times, rowKey: (r) => r.label, csvName: 'time between steps' }}
          />
        </>
      ) : null}
    </Card>
  );
}

function BreakdownCard({ data, property }: { data: FunnelResponse; property: string }) {
  const narrow = useNarrow();
  const [view, setView] = useState<'chart' | 'table'>('chart');
  const rows = breakdownRows(data.breakdown);
  const chart = breakdownChart(data.breakdown);
  const single = singleBreakdownValue(data.breakdown);
  const stepNames = data.steps.map((s, i) => `${i + 1}. ${s.event}`);
  const columns: Column<BreakdownTableRow>[] = [
    { header: property, value: (r) => r.value, testId: (_, i) => `breakdown-value-${i}` },
    ...stepNames.map((name, si) => ({
      header: name,
      value: (r: BreakdownTableRow) => r.counts[si] ?? 0,
      render: (r: BreakdownTableRow) => formatCount(r.counts[si] ?? 0),
      numeric: true,
      testId: (_: BreakdownTableRow, i: number) => `breakdown-count-${i}-${si}`,
    })),
    { header: 'Conversion', value: (r) => r.conversion, render: (r) => formatPercent(r.conversion), numeric: true, testId: (_, i) => `breakdown-conv-${i}` },
  ];
  return (
    <Card
      title={`Breakdown by ${property}`}
      description="First-touch value of the property on the step-1 event; the top 25 values, the rest as Other."
      actions={
        single !== null ? undefined : (
          <Segmented
            label="Show as"
            value={view}
            options={[
              { value: 'chart', label: 'Grouped bars' },
              { value: 'table', label: 'Table' },
            ]}
            onChange={setView}
          />
        )
      }
    >
      {rows.length === 0 ? (
        <EmptyState title={`No values of “${property}” in this range.`}>Check the property name: it is read from the step-1 event’s properties.</EmptyState>
      ) : single !== null ? (
        <>
          <p className="bar-note" data-testid="breakdown-single">
            Every developer in this range has the same {property}, “{single}”, so there is nothing to compare: the funnel above is this value’s funnel.
          </p>
          <DataTable caption={`Funnel by ${property}`} columns={columns} rows={rows} rowKey={(r) => r.value} csvName={`funnel breakdown ${property}`} />
        </>
      ) : view === 'chart' ? (
        <ChartFigure
          title={`Conversion from start by ${property}`}
          summary={`Grouped bars for the ${chart.series.length} largest values.`}
          chart={
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={chart.rows} margin={{ top: 8, right: 16, bottom: 8, left: 0 }} accessibilityLayer={false}>
                <CartesianGrid vertical={false} stroke={COLORS.grid} />
                <XAxis dataKey={narrow ? 'short' : 'label'} tick={AXIS_TICK} interval={0} />
                <YAxis tick={AXIS_TICK} tickFormatter={percentTick} domain={[0, 1]} />
                <Tooltip formatter={(v) => formatPercent(Number(v))} />
                <Legend formatter={legendFormatter} itemSorter={null} />
                {chart.series.map((s, i) => (
                  <Bar key={s.key} dataKey={s.key} name={s.name} fill={seriesColor(i)} isAnimationActive={false} />
                ))}
              </BarChart>
            </ResponsiveContainer>
          }
          table={{ columns, rows, rowKey: (r) => r.value, csvName: `funnel breakdown ${property}` }}
        />
      ) : (
        <DataTable caption={`Funnel by ${property}`} columns={columns} rows={rows} rowKey={(r) => r.value} csvName={`funnel breakdown ${property}`} />
      )}
    </Card>
  );
}

const cohortColumns: Column<CohortRow>[] = [
  { header: 'Week of', value: (r) => (r.partial ? `${r.week} (partial)` : r.week) },
  { header: 'Started', value: (r) => r.started, render: (r) => formatCount(r.started), numeric: true },
  { header: 'Converted', value: (r) => r.converted, render: (r) => formatCount(r.converted), numeric: true },
  { header: 'In progress', value: (r) => r.inProgress, render: (r) => formatCount(r.inProgress), numeric: true },
  { header: 'Conversion', value: (r) => r.conversion, render: (r) => formatPercent(r.conversion), numeric: true },
];

/** Runs the same funnel once per week of the range, after the main funnel has loaded. */
function useWeeklyCohorts(query: ReportQuery, range: { from: string; to: string }) {
  const [state, setState] = useState<{ rows: CohortRow[] | null; error: string | null; done: number; total: number }>({
    rows: null,
    error: null,
    done: 0,
    total: 0,
  });
  const key = JSON.stringify([query.steps, query.window, query.order, range]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: key captures the inputs.
  useEffect(() => {
    const controller = new AbortController();
    const weeks = weeklyRanges(range.from, range.to);
    setState({ rows: null, error: null, done: 0, total: weeks.length });
    const results: CohortRow[] = new Array(weeks.length);
    let next = 0;
    const worker = async () => {
      while (next < weeks.length) {
        const i = next++;
        const w = weeks[i]!;
        const res = await getJson<FunnelResponse>('/api/v1/reports/funnel', funnelParams({ ...query, breakdown: '' }, w), controller.signal);
        results[i] = cohortRow(w.label, res, w.partial);
        if (!controller.signal.aborted) setState((prev) => ({ ...prev, done: i + 1 }));
      }
    };
    // One at a time: the server computes reports synchronously, so parallel requests only queue up there.
    worker().then(
      () => setState({ rows: results, error: null, done: weeks.length, total: weeks.length }),
      (err: unknown) => {
        if (!controller.signal.aborted)
          setState({ rows: null, error: err instanceof ReportApiError ? err.message : 'Could not load the weekly cohorts.', done: 0, total: weeks.length });
      },
    );
    return () => controller.abort();
  }, [key]);
  return state;
}

function CohortCard({ query, range }: { query: ReportQuery; range: { from: string; to: string } }) {
  const { rows, error, done, total } = useWeeklyCohorts(query, range);
  return (
    <Card
      title="Conversion by weekly cohort"
      description="The same funnel run over each week (Monday, UTC) alone: who started that week and finished within it; persons still inside their window at the week’s end are in progress. * marks a week the date range cuts short."
    >
      {error ? (
        <ErrorMessage message={error} />
      ) : !rows ? (
        <Loading label={`Loading weekly cohorts… (${done} of ${total} weeks)`} />
      ) : rows.every((r) => r.started === 0) ? (
        <EmptyState title="No one started the funnel in any week of this range." />
      ) : (
        <ChartFigure
          title="Weekly cohort conversion"
          summary="Bars: persons who started; line: conversion from first to last step."
          chart={
            <ResponsiveContainer width="100%" height="100%">
              <ComposedChart
                data={rows.map((r) => ({ ...r, week: r.partial ? `${r.week}*` : r.week }))}
                margin={{ top: 8, right: 8, bottom: 8, left: 0 }}
                accessibilityLayer={false}
              >
                <CartesianGrid vertical={false} stroke={COLORS.grid} />
                <XAxis dataKey="week" tick={AXIS_TICK} />
                <YAxis yAxisId="persons" tick={AXIS_TICK} allowDecimals={false} />
                <YAxis yAxisId="rate" orientation="right" tick={AXIS_TICK} tickFormatter={percentTick} domain={[0, 1]} />
                <Tooltip formatter={(v, name) => (name === 'Conversion' ? formatPercent(Number(v)) : formatCount(Number(v)))} />
                <Legend formatter={legendFormatter} itemSorter={null} />
                <Bar yAxisId="persons" dataKey="started" name="Started" fill="#94a3b8" stroke={COLORS.neutral} isAnimationActive={false} />
                <Line
                  yAxisId="rate"
                  type="monotone"
                  dataKey="conversion"
                  name="Conversion"
                  stroke={COLORS.reached}
                  strokeWidth={3}
                  dot={{ r: 4 }}
                  connectNulls
                  isAnimationActive={false}
                />
              </ComposedChart>
            </ResponsiveContainer>
          }
          table={{ columns: cohortColumns, rows, rowKey: (r) => r.week, csvName: 'funnel weekly cohorts' }}
        />
      )}
    </Card>
  );
}

function FunnelBody() {
  const { query, range, update, refresh } = useUrlQuery();
  const funnel = useApi<FunnelResponse>('/api/v1/reports/funnel', funnelParams(query, range));
  const data = funnel.data;
  return (
    <>
      <div className="controls-panel">
        <RangeControl query={query} range={range} onChange={update} onRefresh={refresh} />
        <FunnelControls query={query} onChange={update} />
      </div>
      {funnel.status === 'loading' ? <Loading label="Computing the funnel…" /> : null}
      {funnel.status === 'error' ? <ErrorMessage message={funnel.error} onRetry={funnel.reload} /> : null}
      {data && isEmptyFunnel(data) ? (
        <EmptyState title="Nobody did the first step in this range.">
          Try a longer date range, or check that <code>{query.steps[0]}</code> is being sent: open{' '}
          <a href={`/reports/events/?event=${encodeURIComponent(query.steps[0] ?? '')}`}>Live events</a>.
        </EmptyState>
      ) : null}
      {data && !isEmptyFunnel(data) ? (
        <div className="report-body" data-testid="funnel-report">
          <FunnelKpis data={data} query={query} />
          <FlagCallouts callouts={data.flags.map((f) => flagCallout(f, data.steps, query))} />
          <StepsCard data={data} />
          {query.breakdown ? <BreakdownCard data={data} property={query.breakdown} /> : null}
        </div>
      ) : null}
      {funnel.status === 'loading' ? null : <CohortCard query={query} range={range} />}
      <FunnelMethod />
    </>
  );
}

/** The funnel page island. */
export default function FunnelReport() {
  return (
    <Gate>
      <FunnelBody />
    </Gate>
  );
}
