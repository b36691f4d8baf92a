/**
 * Pure shaping of the API health report.
 *
 * errorRate = calls with status ≥ 500, or 400–499 except 429, divided by all calls (null without calls).
 * 429 is left out because rate limiting is the API working as documented; it still shows in topErrors.
 * Latency percentiles are over `duration_ms` (calls without a numeric duration are skipped), linear interpolation.
 */
import type { ApiHealthData } from './api-health-query.ts';
import { percentileFromCounts, rate } from './stats.ts';

export const UNKNOWN_ENDPOINT = '(unknown)';
/** Error codes listed per endpoint. */
export const TOP_ERRORS = 5;

interface Stats {
  calls: number;
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

function summarize(rows: ReadonlyArray<{ duration: number | null; calls: number; errors: number }>): Stats {
  const counts = new Map<number, number>();
  let calls = 0;
  let errors = 0;
  for (const r of rows) {
    calls += r.calls;
    errors += r.errors ?? 0;
    if (typeof r.duration === 'number' && Number.isFinite(r.duration)) counts.set(r.duration, (counts.get(r.duration) ?? 0) + r.calls);
  }
  const entries = [...counts.entries()];
  return {
    calls,
    errorRate: rate(errors, calls),
    p50Ms: percentileFromCounts(entries, 0.5),
    p95Ms: percentileFromCounts(entries, 0.95),
    p99Ms: percentileFromCounts(entries, 0.99),
  };
}

export function shapeApiHealth(data: ApiHealthData) {
  const byEndpoint = new Map<string, ApiHealthData['latency']>();
  for (const row of data.latency) {
    const key = row.endpoint === null ? UNKNOWN_ENDPOINT : String(row.endpoint);
    const list = byEndpoint.get(key) ?? [];
    list.push(row);
    byEndpoint.set(key, list);
  }
  const overall = summarize(data.latency);
  const endpoints = [...byEndpoint.entries()]
    .map(([endpoint, rows]) => ({
      endpoint,
      ...summarize(rows),
      topErrors: data.errors
        .filter((e) => (e.endpoint === null ? UNKNOWN_ENDPOINT : String(e.endpoint)) === endpoint)
        .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
        .slice(0, TOP_ERRORS)
        .map(({ code, count }) => ({ code, count })),
    }))
    .sort((a, b) => b.calls - a.calls || a.endpoint.localeCompare(b.endpoint));
  return {
    overall,
    endpoints,
    firstCallErrors: data.firstCallErrors,
    supportTicketsPer1kCalls: overall.calls > 0 ? (data.supportTickets / overall.calls) * 1000 : null,
  };
}
