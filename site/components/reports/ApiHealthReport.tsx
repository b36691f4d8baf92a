/** API health page island (charts: recharts, see FunnelReport.tsx for why). */
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ApiHealthReport as ApiHealthResponse, EndpointHealth, CodeCount as ErrorCount } from '../../../api/analytics/contract.ts';
import { ApiHealthKpis } from './ApiHealthKpis.tsx';
import { ApiHealthSeries } from './ApiHealthSeries.tsx';
import { RangeControl } from './Controls.tsx';
import { formatCount, formatMs, formatPercent } from './format.ts';
import { Gate } from './Gate.tsx';
import { combinedTopErrors, endpointsByCalls, errorRateRows, isEmptyHealth, type LatencyRow, latencyRows, shortEndpoint } from './health-shape.ts';
import { useApi, useNarrow, useUrlQuery } from './hooks.ts';
import { PathCode } from './PathCode.tsx';
import { AXIS_TICK, COLORS } from './palette.ts';
import { Card, ChartFigure, type Column, DataTable, EmptyState, ErrorMessage, Loading, legendFormatter } from './ui.tsx';

const endpointColumns: Column<EndpointHealth>[] = [
  { header: 'Endpoint', value: (r) => r.endpoint, render: (r) => <PathCode path={r.endpoint} /> },
  { header: 'Calls', value: (r) => r.calls, render: (r) => formatCount(r.calls), numeric: true, testId: (_, i) => `health-calls-${i}` },
  { header: 'Error rate', value: (r) => r.errorRate, render: (r) => formatPercent(r.errorRate), numeric: true, testId: (_, i) => `health-error-rate-${i}` },
  { header: 'p50', value: (r) => r.p50Ms, render: (r) => formatMs(r.p50Ms), numeric: true },
  { header: 'p95', value: (r) => r.p95Ms, render: (r) => formatMs(r.p95Ms), numeric: true },
  { header: 'p99', value: (r) => r.p99Ms, render: (r) => formatMs(r.p99Ms), numeric: true },
  {
    header: 'Top errors',
    value: (r) => r.topErrors.map((e) => `${e.code} (${e.count})`).join('; '),
    render: (r) => (
      <span className="wide-cell">
        {r.topErrors.length
          ? r.topErrors.slice(0, 3).map((e, i, shown) => (
              // One item a line on phones (reports-narrow.css), a comma-separated list elsewhere.
              <span key={e.code} className="cell-item">
                {`${e.code} × ${e.count}${i < shown.length - 1 ? ', ' : ''}`}
              </span>
            ))
          : '—'}
      </span>
    ),
  },
];

const errorColumns: Column<ErrorCount>[] = [
  { header: 'Error code', value: (r) => r.code, render: (r) => <code>{r.code}</code> },
  { header: 'Count', value: (r) => r.count, render: (r) => formatCount(r.count), numeric: true },
];

const latencyColumns: Column<LatencyRow>[] = [
  { header: 'Endpoint', value: (r) => r.endpoint },
  { header: 'p50 (ms)', value: (r) => r.p50, numeric: true },
  { header: 'p95 (ms)', value: (r) => r.p95, numeric: true },
  { header: 'p99 (ms)', value: (r) => r.p99, numeric: true },
];

function ErrorBars({ rows, title, name }: { rows: ErrorCount[]; title: string; name: string }) {
  const narrow = useNarrow();
  if (rows.length === 0) return <EmptyState title="No errors in this range." />;
  return (
    <ChartFigure
      title={title}
      summary="Calls per error code."
      height={Math.max(160, rows.length * 36 + 50)}
      chart={
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={rows} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 8 }} accessibilityLayer={false}>
            <CartesianGrid horizontal={false} stroke={COLORS.grid} />
            <XAxis type="number" tick={AXIS_TICK} allowDecimals={false} />
            <YAxis type="category" dataKey="code" width={narrow ? 120 : 150} tick={AXIS_TICK} />
            <Tooltip />
            <Bar dataKey="count" name="Calls" fill={COLORS.dropped} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      }
      table={{ columns: errorColumns, rows, rowKey: (r) => r.code, csvName: name }}
    />
  );
}

function HealthBody() {
  const narrow = useNarrow();
  const endpointAxis = { width: narrow ? 100 : 170, tickFormatter: narrow ? shortEndpoint : undefined };
  const { query, extras, range, update, refresh } = useUrlQuery(['endpoint']);
  const report = useApi<ApiHealthResponse>('/api/v1/reports/api-health', { from: range.from, to: range.to });
  const data = report.data;
  return (
    <>
      <div className="controls-panel">
        <RangeControl query={query} range={range} onChange={update} onRefresh={refresh} />
      </div>
      {report.status === 'loading' ? <Loading label="Loading API health…" /> : null}
      {report.status === 'error' ? <ErrorMessage message={report.error} onRetry={report.reload} /> : null}
      {data && isEmptyHealth(data) ? (
        <EmptyState title="No sandbox API calls in this range.">
          Calls appear here once developers use their keys against <code>/sandbox/v1</code>.
        </EmptyState>
      ) : null}
      {data && !isEmptyHealth(data) ? (
        <div className="report-body" data-testid="health-report">
          <ApiHealthKpis data={data} range={range} />
          <ApiHealthSeries range={range} endpoints={data.endpoints} endpoint={extras.endpoint ?? ''} onEndpoint={(endpoint) => update({}, { endpoint })} />
          <Card title="Endpoints" description="Error rate counts 5xx and every 4xx except 429 (rate limiting is the client pacing itself).">
            <DataTable
              caption="Endpoints"
              columns={endpointColumns}
              rows={endpointsByCalls(data.endpoints)}
              rowKey={(r) => r.endpoint}
              csvName="api health endpoints"
            />
          </Card>
          <div className="grid-2">
            <Card title="Latency by endpoint">
              <ChartFigure
                title="p50, p95 and p99 latency per endpoint"
                summary="Milliseconds."
                height={Math.max(200, data.endpoints.length * 70 + 60)}
                chart={
                  <ResponsiveContainer width="100%" height="100%">
                    <BarChart
                      data={latencyRows(data.endpoints)}
                      layout="vertical"
                      margin={{ top: 4, right: 16, bottom: 4, left: 8 }}
                      accessibilityLayer={false}
                    >
                      <CartesianGrid horizontal={false} stroke={COLORS.grid} />
                      <XAxis type="number" tick={AXIS_TICK} unit=" ms" />
                      <YAxis type="category" dataKey="endpoint" width={endpointAxis.width} tickFormatter={endpointAxis.tickFormatter} tick={AXIS_TICK} />
                      <Tooltip formatter={(v) => formatMs(Number(v))} />
                      <Legend formatter={legendFormatter} itemSorter={null} />
                      <Bar dataKey="p50" name="p50" fill={COLORS.reached} isAnimationActive={false} />
                      <Bar dataKey="p95" name="p95" fill={COLORS.inProgress} isAnimationActive={false} />
                      <Bar dataKey="p99" name="p99" fill={COLORS.dropped} isAnimationActive={false} />
                    </BarChart>
                  </ResponsiveContainer>
                }
                table={{ columns: latencyColumns, rows: latencyRows(data.endpoints), rowKey: (r) => r.endpoint, csvName: 'api latency' }}
              />
            </Card>
            <Card title="Error rate by endpoint">
              <ChartFigure
                title="Error rate per endpoint"
                summary="Percent of calls that failed."
                height={Math.max(200, data.endpoints.length * 50 + 60)}
                chart={
                  <ResponsiveContainer width="100%" height="100%">
                    <BarChart
                      data={errorRateRows(data.endpoints)}
                      layout="vertical"
                      margin={{ top: 4, right: 16, bottom: 4, left: 8 }}
                      accessibilityLayer={false}
                    >
                      <CartesianGrid horizontal={false} stroke={COLORS.grid} />
                      <XAxis type="number" tick={AXIS_TICK} unit="%" />
                      <YAxis type="category" dataKey="endpoint" width={endpointAxis.width} tickFormatter={endpointAxis.tickFormatter} tick={AXIS_TICK} />
                      <Tooltip formatter={(v) => `${Number(v)}%`} />
                      <Bar dataKey="errorPercent" name="Error rate" fill={COLORS.dropped} isAnimationActive={false} />
                    </BarChart>
                  </ResponsiveContainer>
                }
                table={{
                  columns: [
                    { header: 'Endpoint', value: (r: { endpoint: string; errorPercent: number; calls: number }) => r.endpoint },
                    { header: 'Error rate (%)', value: (r: { endpoint: string; errorPercent: number; calls: number }) => r.errorPercent, numeric: true },
                    { header: 'Calls', value: (r: { endpoint: string; errorPercent: number; calls: number }) => r.calls, numeric: true },
                  ],
                  rows: errorRateRows(data.endpoints),
                  rowKey: (r) => r.endpoint,
                  csvName: 'api error rates',
                }}
              />
            </Card>
          </div>
          <div className="grid-2">
            <Card title="Top errors" description="All endpoints together.">
              <ErrorBars rows={combinedTopErrors(data.endpoints)} title="Top error codes" name="api top errors" />
            </Card>
            <Card title="Errors before a first success" description="What developers hit before their first 2xx call: the errors that block onboarding.">
              <ErrorBars rows={data.firstCallErrors} title="Errors hit before the first successful call" name="api first call errors" />
            </Card>
          </div>
        </div>
      ) : null}
    </>
  );
}

/** The API health page island. */
export default function ApiHealthReport() {
  return (
    <Gate>
      <HealthBody />
    </Gate>
  );
}
