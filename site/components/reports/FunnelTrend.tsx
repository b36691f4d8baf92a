/**
 * The funnel over time: conversion per day or week (`GET /api/v1/reports/funnel/trend`), the weekly cohorts
 * (the same route with `interval=week`, every week in one request) and the time-to-convert histogram
 * (`GET /api/v1/reports/funnel/time-to-convert`).
 */
import { Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatCount, formatDuration, formatPercent } from './format.ts';
import { useApi } from './hooks.ts';
import { AXIS_TICK, COLORS } from './palette.ts';
import { type TimeBinRow, type TimeToConvertResponse, type TrendResponse, type TrendRow, timeBins, trendRows, trendTotals } from './trend-shape.ts';
import { Card, ChartFigure, type Column, EmptyState, ErrorMessage, Loading, legendFormatter, Stat } from './ui.tsx';

const percentTick = (v: number) => `${Math.round(v * 100)}%`;

const trendColumns: Column<TrendRow>[] = [
  { header: 'Starting', value: (r) => (r.partial ? `${r.start.slice(0, 10)} (partial)` : r.start.slice(0, 10)) },
  { header: 'Entered', value: (r) => r.entered, render: (r) => formatCount(r.entered), numeric: true },
  { header: 'Completed', value: (r) => r.completed, render: (r) => formatCount(r.completed), numeric: true },
  { header: 'In progress', value: (r) => r.inProgress, render: (r) => formatCount(r.inProgress), numeric: true },
  { header: 'Conversion', value: (r) => r.conversion, render: (r) => formatPercent(r.conversion), numeric: true, testId: (_, i) => `trend-conversion-${i}` },
];

/** Bars of persons entered and the conversion line; partial intervals as separate, hollow points. */
function TrendChart({ rows, title, summary, csvName }: { rows: TrendRow[]; title: string; summary: string; csvName: string }) {
  return (
    <ChartFigure
      title={title}
      summary={summary}
      chart={
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart data={rows} margin={{ top: 8, right: 8, bottom: 8, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid vertical={false} stroke={COLORS.grid} />
            <XAxis dataKey="label" tick={AXIS_TICK} minTickGap={12} />
            <YAxis yAxisId="persons" tick={AXIS_TICK} allowDecimals={false} />
            <YAxis yAxisId="rate" orientation="right" tick={AXIS_TICK} tickFormatter={percentTick} domain={[0, 1]} />
            <Tooltip formatter={(v, name) => (String(name).startsWith('Conversion') ? formatPercent(Number(v)) : formatCount(Number(v)))} />
            <Legend formatter={legendFormatter} itemSorter={null} />
            <Bar yAxisId="persons" dataKey="entered" name="Entered" fill="#94a3b8" stroke={COLORS.neutral} isAnimationActive={false} />
            <Line
              yAxisId="rate"
              type="linear"
              dataKey="fullConversion"
              name="Conversion"
              stroke={COLORS.reached}
              strokeWidth={3}
              dot={{ r: 3 }}
              connectNulls={false}
              isAnimationActive={false}
            />
            <Line
              yAxisId="rate"
              type="linear"
              dataKey="partialConversion"
              name="Conversion (partial interval)"
              stroke={COLORS.neutral}
              strokeDasharray="4 3"
              dot={{ r: 5, fill: '#fff', strokeWidth: 2 }}
              connectNulls={false}
              isAnimationActive={false}
            />
          </ComposedChart>
        </ResponsiveContainer>
      }
      table={{ columns: trendColumns, rows, rowKey: (r) => r.start, csvName }}
    />
  );
}

/** Conversion over time at the route's default interval (days up to 31 days, weeks beyond). */
export function ConversionTrendCard({ params, range }: { params: Record<string, string>; range: { from: string; to: string } }) {
  const res = useApi<TrendResponse>('/api/v1/reports/funnel/trend', params);
  const rows = res.data ? trendRows(res.data, range) : [];
  const totals = trendTotals(rows);
  return (
    <Card
      title="Conversion over time"
      description="Persons who started an attempt in each interval (UTC; weeks start on Monday) and the share of those attempts that reached the last step within the window. Hollow points mark intervals the range cuts short."
    >
      {res.status === 'loading' ? <Loading label="Loading the conversion trend…" /> : null}
      {res.status === 'error' ? <ErrorMessage message={res.error} onRetry={res.reload} /> : null}
      {res.data && rows.every((r) => r.entered === 0) ? <EmptyState title="No one started the funnel in this range." /> : null}
      {res.data && rows.some((r) => r.entered > 0) ? (
        <div data-testid="funnel-trend" data-interval={res.data.interval}>
          <div className="stats">
            <Stat label="Entered" value={formatCount(totals.entered)} hint={`full ${res.data.interval}s`} />
            <Stat label="Conversion" value={formatPercent(totals.conversion)} hint={`full ${res.data.interval}s`} testId="trend-overall" />
          </div>
          <TrendChart
            rows={rows}
            title={`Conversion per ${res.data.interval}`}
            summary="Bars: persons who entered; line: conversion to the last step."
            csvName={`funnel conversion per ${res.data.interval}`}
          />
        </div>
      ) : null}
    </Card>
  );
}

/** The weekly cohorts: one trend request with `interval=week`. */
export function WeeklyCohortsCard({ params, range }: { params: Record<string, string>; range: { from: string; to: string } }) {
  const res = useApi<TrendResponse>('/api/v1/reports/funnel/trend', { ...params, interval: 'week' });
  const rows = res.data ? trendRows(res.data, range) : [];
  return (
    <Card
      title="Conversion by weekly cohort"
      description="Persons who started an attempt in each week (Monday, UTC) and how many of those attempts converted within the window. * marks a week the date range cuts short."
    >
      {res.status === 'loading' ? <Loading label="Loading weekly cohorts…" /> : null}
      {res.status === 'error' ? <ErrorMessage message={res.error} onRetry={res.reload} /> : null}
      {res.data && rows.every((r) => r.entered === 0) ? <EmptyState title="No one started the funnel in any week of this range." /> : null}
      {res.data && rows.some((r) => r.entered > 0) ? (
        <div data-testid="funnel-cohorts">
          <TrendChart rows={rows} title="Weekly cohort conversion" summary="Bars: persons who started; line: conversion." csvName="funnel weekly cohorts" />
        </div>
      ) : null}
    </Card>
  );
}

const binColumns: Column<TimeBinRow>[] = [
  { header: 'Time to convert', value: (r) => r.label },
  { header: 'Persons', value: (r) => r.persons, render: (r) => formatCount(r.persons), numeric: true },
];

/** Histogram of the time from the first to the last step of converted persons. */
export function TimeToConvertCard({ params, steps }: { params: Record<string, string>; steps: string[] }) {
  const res = useApi<TimeToConvertResponse>('/api/v1/reports/funnel/time-to-convert', params);
  const rows = res.data ? timeBins(res.data) : [];
  return (
    <Card
      title="Time to convert"
      description={`How long converted persons took from ${steps[0] ?? 'the first step'} to ${steps[steps.length - 1] ?? 'the last step'}.`}
    >
      {res.status === 'loading' ? <Loading label="Loading time to convert…" /> : null}
      {res.status === 'error' ? <ErrorMessage message={res.error} onRetry={res.reload} /> : null}
      {res.data && rows.every((r) => r.persons === 0) ? <EmptyState title="Nobody converted in this range." /> : null}
      {res.data && rows.some((r) => r.persons > 0) ? (
        <div data-testid="funnel-time-to-convert">
          <div className="stats">
            <Stat label="Average" value={formatDuration(res.data.averageSeconds)} testId="ttc-average" />
            <Stat label="Median" value={formatDuration(res.data.medianSeconds)} testId="ttc-median" />
          </div>
          <ChartFigure
            title="Time to convert"
            summary="Persons per time bin."
            chart={
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 8, left: 0 }} accessibilityLayer={false}>
                  <CartesianGrid vertical={false} stroke={COLORS.grid} />
                  <XAxis dataKey="label" tick={AXIS_TICK} minTickGap={12} />
                  <YAxis tick={AXIS_TICK} allowDecimals={false} />
                  <Tooltip formatter={(v) => formatCount(Number(v))} />
                  <Bar dataKey="persons" name="Persons" fill={COLORS.reached} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            }
            table={{ columns: binColumns, rows, rowKey: (r) => `${r.fromSeconds}`, csvName: 'funnel time to convert' }}
          />
        </div>
      ) : null}
    </Card>
  );
}
