/**
 * The reports of `npm run bench:scale`, timed over HTTP on the real server (`api/server.ts`) opened on the generated
 * file: cold (the first request after a server start, one fresh server per report) and warm (median of 3 after it).
 * Raw calls and minute rollups are kept forever on these servers (`ONRAMP_API_CALL_RAW_DAYS=0`,
 * `ONRAMP_API_CALL_MINUTE_DAYS=0`): the history is older than the default retention, so a sweep would otherwise run
 * beside the timings (the minute sweep of the first server deleted every minute row while reports were timed).
 */
import { type RunningServer, startServer } from '../../support/server.ts';
import { median, peakRssMiB } from './measure.ts';

/** One timed report: its route, its query beyond the range, and a line summarising the answer. */
export interface ReportSpec {
  name: string;
  path: string;
  query?: Record<string, string>;
  summary: (body: Record<string, unknown>) => string;
}

type Step = { count: number };
const funnelSummary = (b: Record<string, unknown>) => `counts ${(b.steps as Step[]).map((s) => s.count).join(' → ')}`;

/** Step list of the `$pageview` funnel. */
export const PAGEVIEW_STEPS = ['$pageview', 'signed_up', 'api_key_created'] as const;

/** Every report timed, with the range of the last 30 days added to each query. */
export const REPORTS: ReportSpec[] = [
  { name: 'funnel (default)', path: '/api/v1/reports/funnel', summary: funnelSummary },
  { name: 'funnel strict', path: '/api/v1/reports/funnel', query: { order: 'strict' }, summary: funnelSummary },
  { name: 'funnel $pageview', path: '/api/v1/reports/funnel', query: { steps: PAGEVIEW_STEPS.join(',') }, summary: funnelSummary },
  {
    name: 'ttfsi',
    path: '/api/v1/reports/ttfsi',
    summary: (b) => `completed ${b.completed}, p50 ${(b.percentiles as { p50: number | null }).p50} s`,
  },
  { name: 'docs', path: '/api/v1/reports/docs', summary: (b) => `${(b.pages as unknown[]).length} pages` },
  { name: 'api-health', path: '/api/v1/reports/api-health', summary: (b) => `${(b.overall as { calls: number }).calls} calls` },
  {
    name: 'api-health series',
    path: '/api/v1/reports/api-health/series',
    summary: (b) => `${Array.isArray(b.points) ? b.points.length : '?'} points`,
  },
];

/** One report's cold and warm times, with the answer of its cold request. */
export interface ReportTiming {
  name: string;
  coldMs: number;
  warmMs: number;
  body: Record<string, unknown>;
  summary: string;
}

/** Starts the real server on the SQLite file `databasePath`. */
export function serverOn(databasePath: string): Promise<RunningServer> {
  return startServer({ databasePath, env: { ONRAMP_API_CALL_RAW_DAYS: '0', ONRAMP_API_CALL_MINUTE_DAYS: '0', ONRAMP_DEMO: '0' } });
}

/** GETs one report and returns its JSON and the time to its last byte. */
export async function getReport(server: RunningServer, spec: ReportSpec, range: { from: number; to: number }) {
  const params = new URLSearchParams({ from: String(range.from), to: String(range.to), ...spec.query });
  const t = performance.now();
  const res = await fetch(`${server.url}${spec.path}?${params}`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  const text = await res.text();
  const ms = performance.now() - t;
  if (res.status !== 200) throw new Error(`${spec.name}: ${res.status} ${text.slice(0, 500)}`);
  return { ms, body: JSON.parse(text) as Record<string, unknown> };
}

/** Times each of `specs` cold and warm; returns the timings and the servers' highest peak RSS. */
export async function timeReports(
  databasePath: string,
  range: { from: number; to: number },
  specs: readonly ReportSpec[],
  log: (line: string) => void,
): Promise<{ timings: ReportTiming[]; peakRssMb: number }> {
  const timings: ReportTiming[] = [];
  let peak = 0;
  for (const spec of specs) {
    const server = await serverOn(databasePath);
    try {
      const cold = await getReport(server, spec, range);
      const runs: number[] = [];
      for (let i = 0; i < 3; i++) runs.push((await getReport(server, spec, range)).ms);
      const timing = { name: spec.name, coldMs: cold.ms, warmMs: median(runs), body: cold.body, summary: spec.summary(cold.body) };
      timings.push(timing);
      peak = Math.max(peak, peakRssMiB(server.child.pid!));
      log(`  ${spec.name.padEnd(20)} cold ${timing.coldMs.toFixed(0).padStart(7)} ms, warm ${timing.warmMs.toFixed(0).padStart(7)} ms   ${timing.summary}`);
    } finally {
      await server.stop();
    }
  }
  return { timings, peakRssMb: peak };
}
