/**
 * Pure shaping of the API health report.
 *
 * errorRate = calls with status ≥ 500, or 400–499 except 429, divided by all calls (null without calls). 429 is
 * left out because rate limiting is the API working as documented; it still shows in topErrors. Calls refused
 * (401 / 403) for a key the API could not verify (`key_verified: false`) count in neither the numerator nor the
 * denominator, nor in firstCallErrors: anyone can send made-up keys, and that must not move the onboarding figures.
 * They still show in `calls`, latency and topErrors.
 * topErrors / firstCallErrors list failed calls: status ≥ 400 (429 included) or any `error_code`, keyed by
 * `error_code`, else the status as text. Latency percentiles are over `duration_ms` with linear interpolation
 * (calls without a numeric duration are skipped). Endpoints and codes are cut to TEXT_CAPS.
 */
import type { ApiHealthData, CallGroupRow } from './api-health-query.ts';
import { type ApiHealthReport, type CodeCount, capText, type LatencySummary, TEXT_CAPS } from './contract.ts';
import { percentileFromCounts, rate } from './stats.ts';

export const UNKNOWN_ENDPOINT = '(unknown)';
/** Error codes listed per endpoint. */
export const TOP_ERRORS = 5;
/** Error codes listed in firstCallErrors. */
export const TOP_FIRST_CALL_ERRORS = 10;

function summarize(rows: readonly CallGroupRow[]): LatencySummary {
  const counts = new Map<number, number>();
  let calls = 0;
  let rated = 0;
  let errors = 0;
  for (const r of rows) {
    calls += r.calls;
    if (r.verified) {
      rated += r.calls;
      errors += r.errors ?? 0;
    }
    if (typeof r.duration === 'number' && Number.isFinite(r.duration)) counts.set(r.duration, (counts.get(r.duration) ?? 0) + r.calls);
  }
  const entries = [...counts.entries()];
  return {
    calls,
    errorRate: rate(errors, rated),
    p50Ms: percentileFromCounts(entries, 0.5),
    p95Ms: percentileFromCounts(entries, 0.95),
    p99Ms: percentileFromCounts(entries, 0.99),
  };
}

/** Sums `pick(row)` per code over failed-call rows and returns the top `limit` (count desc, then code). */
function topCodes(rows: readonly CallGroupRow[], pick: (r: CallGroupRow) => number, limit: number): CodeCount[] {
  const byCode = new Map<string, number>();
  for (const r of rows) {
    if (r.code === null) continue;
    const code = capText(r.code, TEXT_CAPS.errorCode);
    byCode.set(code, (byCode.get(code) ?? 0) + pick(r));
  }
  return [...byCode.entries()]
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([code, count]) => ({ code, count }));
}

/** The API health response from the loaded call groups. */
export function shapeApiHealth(data: ApiHealthData): ApiHealthReport {
  const byEndpoint = new Map<string, CallGroupRow[]>();
  for (const row of data.groups) {
    const key = row.endpoint === null ? UNKNOWN_ENDPOINT : capText(String(row.endpoint), TEXT_CAPS.path);
    const list = byEndpoint.get(key) ?? [];
    list.push(row);
    byEndpoint.set(key, list);
  }
  const overall = summarize(data.groups);
  const endpoints = [...byEndpoint.entries()]
    .map(([endpoint, rows]) => ({ endpoint, ...summarize(rows), topErrors: topCodes(rows, (r) => r.calls, TOP_ERRORS) }))
    .sort((a, b) => b.calls - a.calls || a.endpoint.localeCompare(b.endpoint));
  return {
    overall,
    endpoints,
    firstCallErrors: topCodes(data.groups, (r) => (r.verified ? r.beforeFirstSuccess : 0), TOP_FIRST_CALL_ERRORS),
    supportTicketsPer1kCalls: overall.calls > 0 ? (data.supportTickets / overall.calls) * 1000 : null,
  };
}
