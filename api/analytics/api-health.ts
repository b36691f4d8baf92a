/**
 * Pure shaping of the API health report from the API traffic rollups.
 *
 * errorRate = calls with status ≥ 500, or 400–499 except 429, divided by all calls (null without calls). 429 is
 * left out because rate limiting is the API working as documented; it still shows in topErrors. Calls refused
 * (401 / 403) for a key the API could not verify (`key_verified: false`) count in neither the numerator nor the
 * denominator, nor in firstCallErrors: anyone can send made-up keys, and that must not move the onboarding figures.
 * They still show in `calls`, latency and topErrors.
 * topErrors / firstCallErrors list failed calls: status ≥ 400 (429 included) or any `error_code`, keyed by
 * `error_code`, else the status as text. firstCallErrors counts each person's earliest 50 such calls before their
 * first success. Call counts and error figures are exact; p50 / p95 / p99 come from merged DDSketches and are within
 * 1% of the exact value of that rank (calls without a numeric duration ≥ 0 are skipped). availability, nines and
 * the SLO budget are request-based (see api-traffic/health-summary.ts).
 */
import type { ApiHealthData } from './api-health-query.ts';
import { FAILED } from './api-traffic/call.ts';
import { addRow, addTotals, availabilityOf, emptyTotals, latencyOf, type TrafficTotals } from './api-traffic/health-summary.ts';
import type { RollupRow } from './api-traffic/rollup-read.ts';
import type { ApiHealthReport, CodeCount } from './contract.ts';

export { UNKNOWN_ENDPOINT } from './api-traffic/call.ts';
/** Error codes listed per endpoint. */
export const TOP_ERRORS = 5;
/** Error codes listed in firstCallErrors. */
export const TOP_FIRST_CALL_ERRORS = 10;
/** Default availability target (`ONRAMP_API_SLO`). */
export const DEFAULT_API_SLO = 0.999;

/** The top `limit` codes by count (count desc, then code). */
function topCodes(byCode: ReadonlyMap<string, number>, limit: number): CodeCount[] {
  return [...byCode.entries()]
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([code, count]) => ({ code, count }));
}

interface EndpointTotals {
  totals: TrafficTotals;
  codes: Map<string, number>;
}

/** The API health response from the loaded rollups, against the availability target `sloTarget`. */
export function shapeApiHealth(data: ApiHealthData, sloTarget = DEFAULT_API_SLO): ApiHealthReport {
  const overall = emptyTotals();
  const byEndpoint = new Map<string, EndpointTotals>();
  const add = (row: RollupRow) => {
    let entry = byEndpoint.get(row.endpoint);
    if (!entry) byEndpoint.set(row.endpoint, (entry = { totals: emptyTotals(), codes: new Map() }));
    addRow(entry.totals, row);
    if (row.flags & FAILED) entry.codes.set(row.code, (entry.codes.get(row.code) ?? 0) + row.calls);
  };
  for (const row of data.rollups) add(row);
  // The overall figures from the endpoints' totals: their sketches are already decoded, a row's bins are not.
  for (const { totals } of byEndpoint.values()) addTotals(overall, totals);
  const endpoints = [...byEndpoint.entries()]
    .map(([endpoint, { totals, codes }]) => ({
      endpoint,
      ...latencyOf(totals),
      ...availabilityOf(totals, sloTarget),
      topErrors: topCodes(codes, TOP_ERRORS),
    }))
    .sort((a, b) => b.calls - a.calls || a.endpoint.localeCompare(b.endpoint));
  return {
    overall: { ...latencyOf(overall), ...availabilityOf(overall, sloTarget) },
    endpoints,
    firstCallErrors: topCodes(new Map(data.firstCallFailures.map((c) => [c.code, c.count])), TOP_FIRST_CALL_ERRORS),
    supportTicketsPer1kCalls: overall.calls > 0 ? (data.supportTickets / overall.calls) * 1000 : null,
  };
}
