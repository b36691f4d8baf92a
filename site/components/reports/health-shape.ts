/** Pure shaping of the API health response. */
import type { ApiHealthReport as ApiHealthResponse, EndpointHealth, CodeCount as ErrorCount } from '../../../api/analytics/contract.ts';

/** The per-endpoint figures the charts and tables read (availability is shaped in availability-shape.ts). */
export type EndpointFigures = Pick<EndpointHealth, 'endpoint' | 'calls' | 'errorRate' | 'p50Ms' | 'p95Ms' | 'p99Ms' | 'topErrors'>;

/** Endpoints busiest first (ties by name) so the table opens on what most developers hit. */
export function endpointsByCalls<E extends EndpointFigures>(endpoints: ReadonlyArray<E>): E[] {
  return [...endpoints].sort((a, b) => b.calls - a.calls || a.endpoint.localeCompare(b.endpoint));
}

/** Error codes summed over every endpoint, most frequent first. */
export function combinedTopErrors(endpoints: ReadonlyArray<EndpointFigures>, limit = 10): ErrorCount[] {
  const totals = new Map<string, number>();
  for (const e of endpoints) for (const err of e.topErrors) totals.set(err.code, (totals.get(err.code) ?? 0) + err.count);
  return [...totals.entries()]
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
    .slice(0, limit);
}

export interface LatencyRow {
  endpoint: string;
  p50: number;
  p95: number;
  p99: number;
}

/** Grouped latency bars per endpoint; endpoints without calls have no latency and are left out. */
export function latencyRows(endpoints: ReadonlyArray<EndpointFigures>): LatencyRow[] {
  return endpointsByCalls(endpoints)
    .filter((e) => e.p50Ms !== null)
    .map((e) => ({ endpoint: e.endpoint, p50: e.p50Ms ?? 0, p95: e.p95Ms ?? 0, p99: e.p99Ms ?? 0 }));
}

/** Error rate as a percentage per endpoint for the bar chart. */
export function errorRateRows(endpoints: ReadonlyArray<EndpointFigures>): Array<{ endpoint: string; errorPercent: number; calls: number }> {
  return endpointsByCalls(endpoints).map((e) => ({
    endpoint: e.endpoint,
    errorPercent: Math.round((e.errorRate ?? 0) * 1000) / 10,
    calls: e.calls,
  }));
}

/** No calls in range: show the empty state. */
export function isEmptyHealth(res: Pick<ApiHealthResponse, 'overall'>): boolean {
  return res.overall.calls === 0;
}

/** `/sandbox/v1/messages/:id` → `/messages/:id`: the shared prefix only costs room on a phone. */
export function shortEndpoint(endpoint: string): string {
  return endpoint.replace(/^\/sandbox\/v1(?=\/)/, '');
}
