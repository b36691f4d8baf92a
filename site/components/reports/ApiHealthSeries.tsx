/**
 * API health over time (`GET /api/v1/reports/api-health/series`): calls by status class, error rate and latency
 * percentiles per interval, for every endpoint or the one picked in the selector (kept in the URL as `endpoint`).
 */
import { useId } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatCount, formatMs } from './format.ts';
import type { EndpointFigures } from './health-shape.ts';
import { endpointsByCalls } from './health-shape.ts';
import { useApi, useNarrow } from './hooks.ts';
import { AXIS_TICK, COLORS } from './palette.ts';
import { chartInterval, isEmptySeries, type ApiHealthSeries as SeriesResponse, type SeriesRow, STATUS_CLASS_SERIES, seriesRows } from './series-shape.ts';
import { Card, ChartFigure, type Column, EmptyState, ErrorMessage, Loading, legendFormatter } from './ui.tsx';

/** Status class colours: success cool, failures warm, 5xx the darkest red so an outage reads at once. */
const CLASS_COLORS: Record<(typeof STATUS_CLASS_SERIES)[number]['key'], string> = {
  '2xx': COLORS.reached,
  '3xx': '#0e7490',
  '4xx': COLORS.inProgress,
  '429': '#7c3aed',
  '5xx': COLORS.dropped,
};

const MARGIN = { top: 8, right: 8, bottom: 8, left: 0 };

const callColumns: Column<SeriesRow>[] = [
  { header: 'Starting (UTC)', value: (r) => r.start, render: (r) => r.label },
  { header: 'Calls', value: (r) => r.calls, render: (r) => formatCount(r.calls), numeric: true },
  ...STATUS_CLASS_SERIES.map((s): Column<SeriesRow> => ({ header: s.key, value: (r) => r[s.key], render: (r) => formatCount(r[s.key]), numeric: true })),
];

const errorColumns: Column<SeriesRow>[] = [
  { header: 'Starting (UTC)', value: (r) => r.start, render: (r) => r.label },
  { header: 'Error rate (%)', value: (r) => r.errorPercent, render: (r) => (r.errorPercent === null ? '—' : `${r.errorPercent}%`), numeric: true },
  { header: 'Errors', value: (r) => r.errors, render: (r) => formatCount(r.errors), numeric: true },
  { header: 'Calls', value: (r) => r.calls, render: (r) => formatCount(r.calls), numeric: true },
];

const latencyColumns: Column<SeriesRow>[] = [
  { header: 'Starting (UTC)', value: (r) => r.start, render: (r) => r.label },
  ...(['p50', 'p95', 'p99'] as const).map(
    (key): Column<SeriesRow> => ({ header: `${key} (ms)`, value: (r) => r[key], render: (r) => formatMs(r[key]), numeric: true }),
  ),
];

/** The endpoint picker: every endpoint API health lists, busiest first. */
function EndpointSelect({ endpoints, value, onChange }: { endpoints: ReadonlyArray<EndpointFigures>; value: string; onChange: (endpoint: string) => void }) {
  const id = useId();
  return (
    <label className="control" htmlFor={id}>
      <span className="control-label">Endpoint</span>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} data-testid="health-series-endpoint">
        <option value="">All endpoints</option>
        {endpointsByCalls(endpoints).map((e) => (
          <option key={e.endpoint} value={e.endpoint}>
            {e.endpoint}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The three charts over time, with the endpoint selector above them. */
export function ApiHealthSeries({
  range,
  endpoints,
  endpoint,
  onEndpoint,
}: {
  range: { from: string; to: string };
  endpoints: ReadonlyArray<EndpointFigures>;
  endpoint: string;
  onEndpoint: (endpoint: string) => void;
}) {
  const narrow = useNarrow();
  const interval = chartInterval(range);
  const params: Record<string, string> = { from: range.from, to: range.to, interval };
  if (endpoint) params.endpoint = endpoint;
  const series = useApi<SeriesResponse>('/api/v1/reports/api-health/series', params);
  const rows = series.data ? seriesRows(series.data) : [];
  const xAxis = <XAxis dataKey="label" tick={AXIS_TICK} minTickGap={narrow ? 24 : 12} />;
  const yWidth = narrow ? 44 : 60;
  const per = `per ${interval}`;
  return (
    <Card
      title="Over time"
      description={`Calls, error rate and latency ${per} (UTC). Error rate counts 5xx and every 4xx except 429.`}
      actions={<EndpointSelect endpoints={endpoints} value={endpoint} onChange={onEndpoint} />}
    >
      {series.status === 'loading' ? <Loading label="Loading API health over time…" /> : null}
      {series.status === 'error' ? <ErrorMessage message={series.error} onRetry={series.reload} /> : null}
      {series.data && isEmptySeries(series.data) ? <EmptyState title="No calls to this endpoint in this range." /> : null}
      {series.data && !isEmptySeries(series.data) ? (
        <div className="series-charts" data-testid="health-series" data-interval={series.data.interval}>
          <div data-testid="health-series-calls">
            <ChartFigure
              title={`Calls by status class ${per}`}
              summary="Stacked: success, redirect, client error, rate limited and server error."
              height={260}
              chart={
                <ResponsiveContainer width="100%" height="100%">
                  <BarChart data={rows} margin={MARGIN} accessibilityLayer={false}>
                    <CartesianGrid vertical={false} stroke={COLORS.grid} />
                    {xAxis}
                    <YAxis tick={AXIS_TICK} allowDecimals={false} width={yWidth} />
                    <Tooltip formatter={(v) => formatCount(Number(v))} />
                    <Legend formatter={legendFormatter} itemSorter={null} />
                    {STATUS_CLASS_SERIES.map((s) => (
                      <Bar key={s.key} dataKey={s.key} name={s.name} stackId="calls" fill={CLASS_COLORS[s.key]} isAnimationActive={false} />
                    ))}
                  </BarChart>
                </ResponsiveContainer>
              }
              table={{ columns: callColumns, rows, rowKey: (r) => r.start, csvName: 'api calls over time' }}
            />
          </div>
          <div data-testid="health-series-error-rate">
            <ChartFigure
              title={`Error rate ${per}`}
              summary="Percent of calls that failed; a gap where there were no calls."
              height={220}
              chart={
                <ResponsiveContainer width="100%" height="100%">
                  <LineChart data={rows} margin={MARGIN} accessibilityLayer={false}>
                    <CartesianGrid vertical={false} stroke={COLORS.grid} />
                    {xAxis}
                    <YAxis tick={AXIS_TICK} unit="%" width={yWidth} />
                    <Tooltip formatter={(v) => `${Number(v)}%`} />
                    <Line
                      type="stepAfter"
                      dataKey="errorPercent"
                      name="Error rate"
                      stroke={COLORS.dropped}
                      strokeWidth={2}
                      dot={false}
                      isAnimationActive={false}
                    />
                  </LineChart>
                </ResponsiveContainer>
              }
              table={{ columns: errorColumns, rows, rowKey: (r) => r.start, csvName: 'api error rate over time' }}
            />
          </div>
          <div data-testid="health-series-latency">
            <ChartFigure
              title={`Latency p50, p95 and p99 ${per}`}
              summary="Milliseconds, within 1% of exact."
              height={240}
              chart={
                <ResponsiveContainer width="100%" height="100%">
                  <LineChart data={rows} margin={MARGIN} accessibilityLayer={false}>
                    <CartesianGrid vertical={false} stroke={COLORS.grid} />
                    {xAxis}
                    <YAxis tick={AXIS_TICK} unit=" ms" width={yWidth + 12} />
                    <Tooltip formatter={(v) => formatMs(Number(v))} />
                    <Legend formatter={legendFormatter} itemSorter={null} />
                    <Line type="linear" dataKey="p50" name="p50" stroke={COLORS.reached} strokeWidth={2} dot={false} isAnimationActive={false} />
                    <Line type="linear" dataKey="p95" name="p95" stroke={COLORS.inProgress} strokeWidth={2} dot={false} isAnimationActive={false} />
                    <Line
                      type="linear"
                      dataKey="p99"
                      name="p99"
                      stroke={COLORS.dropped}
                      strokeWidth={2}
                      strokeDasharray="5 3"
                      dot={false}
                      isAnimationActive={false}
                    />
                  </LineChart>
                </ResponsiveContainer>
              }
              table={{ columns: latencyColumns, rows, rowKey: (r) => r.start, csvName: 'api latency over time' }}
            />
          </div>
        </div>
      ) : null}
    </Card>
  );
}
