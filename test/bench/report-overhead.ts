/**
 * `npx tsx test/bench/report-overhead.ts`: what a warm report request spends outside its query. Generates
 * `BENCH_EVENTS` events (default 200,000) the way `bench:scale` does (or reuses `BENCH_DB`), then
 *
 * 1. in process, on the app the server builds (logged writer): the CPU time of the settle before a report, the admin
 *    lockout read, each report, `JSON.stringify` of its answer and the whole request through the app, each the mean
 *    of `BENCH_RUNS` (default 15), and of a trivial authenticated request (`/api/v1/ingest/status`);
 * 2. over HTTP on the real server: the median wall time of each report and of that trivial request.
 */
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSeriesParams } from '../../api/analytics/api-traffic/series-params.ts';
import { parseFunnelParams } from '../../api/analytics/funnel-params.ts';
import { parseRangeParams } from '../../api/analytics/params.ts';
import { createApp } from '../../api/app.ts';
import { settleBeforeReads } from '../../api/middleware/settle.ts';
import { sqliteStorage } from '../../api/storage/sqlite.ts';
import { openDb } from '../../db/client.ts';
import { startServer } from '../support/server.ts';
import type { openDuckReference } from './scale/duckdb.ts';
import { generateInto } from './scale/generate.ts';
import { DAY, END } from './scale/history.ts';
import { median } from './scale/measure.ts';

const events = Number(process.env.BENCH_EVENTS ?? 200_000);
const runs = Number(process.env.BENCH_RUNS ?? 15);
const range = { from: END - 30 * DAY, to: END };
const query = { from: String(range.from), to: String(range.to) };
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/**
 * Milliseconds of `runs` calls of `work` after one warm-up call: the median wall time, or with `cpu` the mean CPU
 * time of this process (steadier than wall time on a shared machine; in-process work only, no other process).
 */
async function time(work: () => unknown, cpu = false): Promise<number> {
  await work();
  const ms: number[] = [];
  const used = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await work();
    ms.push(performance.now() - t);
  }
  const spent = process.cpuUsage(used);
  return cpu ? (spent.user + spent.system) / 1000 / runs : median(ms);
}

let file = process.env.BENCH_DB;
if (!file) {
  file = join(mkdtempSync(join(tmpdir(), 'onramp-overhead-')), 'bench.db');
  // The DuckDB reference is not needed here: a sink that drops its rows.
  const duck = { append: () => undefined } as unknown as Awaited<ReturnType<typeof openDuckReference>>;
  await generateInto(file, duck, { events, developers: Math.max(10, Math.floor(events / 100)), chunk: 5_000, log: console.log });
  console.log(`generated ${events} events into ${file}`);
}
console.log(`load average before: ${load()}`);

const reports: Array<{ name: string; path: string; query?: Record<string, string> }> = [
  { name: 'funnel (default)', path: '/api/v1/reports/funnel' },
  { name: 'api-health', path: '/api/v1/reports/api-health' },
  { name: 'api-health series', path: '/api/v1/reports/api-health/series' },
];

// 1. In process.
{
  const db = openDb(file);
  const storage = sqliteStorage(db);
  const adminToken = 'a'.repeat(32);
  const writer = storage.createWriter({ logged: true });
  const app = createApp({ storage, env: { ONRAMP_PROJECT_TOKEN: 'p'.repeat(32), ONRAMP_ADMIN_TOKEN: adminToken }, writer });
  await storage.reports.warm();
  const now = Date.now();
  const inProcess: Array<[string, () => Promise<unknown>]> = [
    ['funnel (default)', () => storage.reports.funnel(parseFunnelParams(query, now, {}))],
    ['api-health', () => storage.reports.apiHealth(parseRangeParams(query, now))],
    ['api-health series', () => storage.reports.apiHealthSeries(parseSeriesParams(query, now))],
  ];
  console.log(`writer.settle (nothing pending): ${(await time(() => writer.settle(), true)).toFixed(3)} ms CPU`);
  console.log(`count of the log (the check where memory cannot tell): ${(await time(() => writer.refreshCounts(), true)).toFixed(3)} ms CPU`);
  const settle = settleBeforeReads(writer, { soleAppender: true });
  console.log(`settle before reads (nothing acknowledged since): ${(await time(settle, true)).toFixed(3)} ms CPU`);
  console.log(`admin lockout read: ${(await time(() => storage.portal.loginFailures.lockedFor('admin-login:127.0.0.1'), true)).toFixed(3)} ms CPU`);
  const headers = { authorization: `Bearer ${adminToken}` };
  console.log(`app.request ingest/status: ${(await time(() => app.request('/api/v1/ingest/status', { headers }), true)).toFixed(3)} ms CPU`);
  for (const [name, run] of inProcess) {
    const body = await run();
    const report = await time(run, true);
    const json = await time(() => JSON.stringify(body), true);
    const spec = reports.find((r) => r.name === name)!;
    const params = new URLSearchParams(query);
    const request = await time(async () => (await app.request(`${spec.path}?${params}`, { headers })).text(), true);
    console.log(
      `${name.padEnd(18)} CPU ms: report ${report.toFixed(2)}, JSON.stringify ${json.toFixed(2)} (${JSON.stringify(body).length} bytes), whole app.request ${request.toFixed(2)}`,
    );
  }
  await writer.close(0);
  db.$client.close();
}

// 2. Over HTTP on the real server.
const server = await startServer({ databasePath: file, env: { ONRAMP_API_CALL_RAW_DAYS: '0', ONRAMP_API_CALL_MINUTE_DAYS: '0', ONRAMP_DEMO: '0' } });
try {
  const headers = { authorization: `Bearer ${server.adminToken}` };
  const get = async (path: string, q?: Record<string, string>) => {
    const res = await fetch(`${server.url}${path}${q ? `?${new URLSearchParams(q)}` : ''}`, { headers });
    await res.text();
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  };
  console.log(`HTTP ingest/status: ${(await time(() => get('/api/v1/ingest/status'))).toFixed(2)} ms`);
  for (const spec of reports) {
    console.log(`HTTP ${spec.name.padEnd(18)} ${(await time(() => get(spec.path, { ...query, ...spec.query }))).toFixed(2)} ms`);
  }
} finally {
  await server.stop();
}
console.log(`load average after: ${load()}`);
