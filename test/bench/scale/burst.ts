/**
 * Capture load of `npm run bench:scale`: gzip'd `/batch/` requests of 1,000 platform-shaped events (90% calls, with
 * the server token, as a backend sends them), all built before the load starts so the shared cores serve the server.
 * After the load: the backlog (acknowledged, not yet applied) at its end, and the time from its end to the first
 * report answer, which applies that backlog first.
 */
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { uuidv7 } from 'uuidv7';
import type { RunningServer } from '../../support/server.ts';
import { getReport, REPORTS } from './reports.ts';

/** Events per `/batch/` request: the most one request may carry. */
export const EVENTS_PER_REQUEST = 1_000;
const ENDPOINTS = ['POST /v1/messages', 'GET /v1/messages', 'GET /v1/usage'];

function body(serverToken: string, request: number): Buffer {
  const at = new Date().toISOString();
  const batch = Array.from({ length: EVENTS_PER_REQUEST }, (_, j) => {
    const who = `burst-${(request * 7 + j) % 50_000}`;
    const r = j % 50;
    if (r < 45) {
      const status = j % 16 === 0 ? 500 : 200;
      return {
        uuid: uuidv7(),
        event: 'api_call',
        distinct_id: who,
        timestamp: at,
        properties: { endpoint: ENDPOINTS[j % 3], method: 'POST', status, duration_ms: 20 + (j % 200), ...(status >= 400 ? { error_code: 'e500' } : {}) },
      };
    }
    if (r < 49) return { uuid: uuidv7(), event: '$pageview', distinct_id: who, timestamp: at, properties: { $pathname: `/docs/page-${j % 40}/` } };
    return { uuid: uuidv7(), event: 'signed_up', distinct_id: who, timestamp: at, properties: {} };
  });
  return gzipSync(JSON.stringify({ api_key: serverToken, batch }), { level: 1 });
}

/** What one capture load measured. */
export interface LoadResult {
  label: string;
  seconds: number;
  acknowledgedEvents: number;
  eventsPerSecond: number;
  failed: number;
  p99Ms: number;
  /** Acknowledged but not applied when the load ended. */
  backlogEvents: number;
  /** From the load's end to the default funnel's answer (it applies the backlog first). */
  reportAfterMs: number;
}

/**
 * Sends `/batch/` load for `seconds` from `senders` connections, at full speed or at `eventsPerSecond`, then
 * measures the backlog and the first report. `poolEvents` events' worth of bodies are built before it starts.
 */
export async function captureLoad(
  server: RunningServer,
  opts: { label: string; seconds: number; senders: number; poolEvents: number; eventsPerSecond?: number; range: { from: number; to: number } },
): Promise<LoadResult> {
  const token = server.serverToken;
  if (!token) throw new Error('capture load: the server needs a known server token');
  const pool = Array.from({ length: Math.ceil(opts.poolEvents / EVENTS_PER_REQUEST) }, (_, i) => body(token, i));
  let i = 0;
  const result = await autocannon({
    url: `${server.url}/batch/`,
    method: 'POST',
    connections: opts.senders,
    duration: opts.seconds,
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    ...(opts.eventsPerSecond ? { overallRate: Math.max(1, Math.round(opts.eventsPerSecond / EVENTS_PER_REQUEST)) } : {}),
    requests: [
      {
        setupRequest: (req) => {
          i += 1;
          return { ...req, body: pool[i - 1] ?? body(token, i) };
        },
      },
    ],
  });
  const ended = performance.now();
  const headers = { authorization: `Bearer ${server.adminToken}` };
  const status = (await (await fetch(`${server.url}/api/v1/ingest/status`, { headers })).json()) as { backlogEvents: number };
  await getReport(server, REPORTS[0]!, opts.range);
  const reportAfterMs = performance.now() - ended;
  const acknowledged = result['2xx'] * EVENTS_PER_REQUEST;
  return {
    label: opts.label,
    seconds: opts.seconds,
    acknowledgedEvents: acknowledged,
    eventsPerSecond: acknowledged / opts.seconds,
    failed: result.non2xx + result.errors + result.timeouts,
    p99Ms: result.latency.p99,
    backlogEvents: status.backlogEvents,
    reportAfterMs,
  };
}
