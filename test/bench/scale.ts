/**
 * `npm run bench:scale`: a platform-shaped history through the real apply path, then the reports timed on it.
 *
 * - Generates `BENCH_EVENTS` events (default 100M) from `BENCH_DEVELOPERS` developers (default events ÷ 100), 90%
 *   `api_call`, in time order over 45 days; who calls is heavy-tailed (a few developers make most calls, most make
 *   a handful). Every chunk of 500 goes through the ingest store as the log processor applies it (identity, dedup,
 *   raw rows, rollups, call facts); the apply rate is printed.
 * - Times each entry of {@link REPORTS} warm (median of 3): add the funnel, TTFSI or docs there to time them too.
 * - Prints database bytes per event with raw calls, and per call once raw calls are past retention (all deleted,
 *   minute rollups older than 7 days too, then VACUUM) with what each structure calls leave costs, and times the
 *   reports again on that.
 * - Loads the same calls into DuckDB (@duckdb/node-api, in memory) and times the same per-endpoint percentiles and
 *   error counts there; prints the ratio. Peak RSS of this process is printed last.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { uuidv7 } from 'uuidv7';
import { minuteFloorFor, retireMinuteRollups } from '../../api/analytics/api-traffic/minute-rollups.ts';
import { deleteOldCalls } from '../../api/analytics/api-traffic/retention.ts';
import { parseSeriesParams } from '../../api/analytics/api-traffic/series-params.ts';
import { parseRangeParams } from '../../api/analytics/params.ts';
import { createReportStore } from '../../api/analytics/report-store.ts';
import { createEventStore } from '../../api/ingest/store.ts';
import type { NormalizedEvent } from '../../api/ingest/validate.ts';
import { sqliteDatabase } from '../../api/storage/sql/sqlite.ts';
import type { ReportStore } from '../../api/storage/types.ts';
import { openDb } from '../../db/client.ts';
import { callBytesBreakdown } from './call-bytes.ts';

const DAY = 86_400_000;
const CHUNK = 500;
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000_000);
const DEVELOPERS = Number(process.env.BENCH_DEVELOPERS ?? Math.max(10, Math.floor(EVENTS / 100)));
const END = Date.UTC(2026, 5, 1);
const SPAN = 45 * DAY;
const ENDPOINTS = ['POST /v1/messages', 'GET /v1/messages/:id', 'GET /v1/messages', 'POST /v1/keys', 'DELETE /v1/messages/:id', 'GET /v1/usage'];
const STATUSES = [200, 200, 200, 200, 200, 200, 200, 200, 201, 201, 204, 400, 401, 404, 429, 500];

/** A deterministic PRNG (mulberry32), so runs compare. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(7);
/** Heavy tail: developer d is picked with weight ~ 1/(d+1)^1.2, so the first few make most calls. */
const developer = () => Math.min(DEVELOPERS - 1, Math.floor(DEVELOPERS ** (rand() ** 1.4)) - 1 + (rand() < 0.3 ? Math.floor(rand() * DEVELOPERS) : 0));

function event(name: string, who: number, at: number, properties: Record<string, unknown>): NormalizedEvent {
  return {
    uuid: uuidv7(),
    event: name,
    distinctId: `dev-${who}`,
    timestamp: at,
    receivedAt: at,
    properties,
    propertiesJson: JSON.stringify(properties),
    set: undefined,
    setOnce: undefined,
  };
}

/** The `i`-th event of the history: in time order, 90% calls. */
function nth(i: number, calls: Array<[string, number, number]>): NormalizedEvent {
  const at = END - SPAN + Math.floor((i / EVENTS) * SPAN);
  const who = developer();
  const r = rand();
  if (r < 0.9) {
    const endpoint = ENDPOINTS[Math.floor(rand() ** 2 * ENDPOINTS.length)]!;
    const status = STATUSES[Math.floor(rand() * STATUSES.length)]!;
    // Log-normal-ish latency: mostly tens of ms, a long tail into seconds.
    const duration = Math.round(Math.exp(3 + rand() * 2 + (rand() < 0.02 ? 3 : 0)));
    calls.push([endpoint, status, duration]);
    return event('api_call', who, at, {
      endpoint,
      method: endpoint.split(' ')[0],
      status,
      duration_ms: duration,
      ...(status >= 400 ? { error_code: `e${status}` } : {}),
    });
  }
  if (r < 0.97) return event('$pageview', who, at, { $pathname: `/docs/page-${Math.floor(rand() * 40)}/` });
  return event(r < 0.985 ? 'signed_up' : 'api_key_created', who, at, {});
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** The reports timed, each with the range query of the last 30 days. Add more here (funnel, TTFSI, docs). */
const REPORTS: Array<[string, (reports: ReportStore, query: Record<string, string>) => Promise<unknown>]> = [
  ['api-health 30d', (r, q) => r.apiHealth(parseRangeParams(q))],
  ['api-health series 30d', (r, q) => r.apiHealthSeries(parseSeriesParams(q))],
];

async function timeReports(reports: ReportStore, label: string): Promise<Map<string, number>> {
  const query = { from: String(END - 30 * DAY), to: String(END) };
  const out = new Map<string, number>();
  for (const [name, run] of REPORTS) {
    await run(reports, query);
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await run(reports, query);
      runs.push(performance.now() - t);
    }
    out.set(name, median(runs));
    console.log(`  ${label.padEnd(18)} ${name.padEnd(24)} ${median(runs).toFixed(1).padStart(8)} ms (median of 3, warm)`);
  }
  return out;
}

async function duckdbPercentiles(calls: Array<[string, number, number]>): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run('CREATE TABLE calls (endpoint VARCHAR, status INTEGER, duration DOUBLE)');
  const appender = await connection.createAppender('calls');
  for (const [endpoint, status, duration] of calls) {
    appender.appendVarchar(endpoint);
    appender.appendInteger(status);
    appender.appendDouble(duration);
    appender.endRow();
  }
  appender.closeSync();
  const query = `SELECT endpoint, COUNT(*), SUM(CASE WHEN status >= 500 OR (status >= 400 AND status <> 429) THEN 1 ELSE 0 END),
                 quantile_cont(duration, [0.5, 0.95, 0.99]) FROM calls GROUP BY endpoint`;
  await connection.runAndReadAll(query);
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await connection.runAndReadAll(query);
    runs.push(performance.now() - t);
  }
  connection.closeSync();
  return median(runs);
}

const dir = mkdtempSync(join(tmpdir(), 'onramp-scale-'));
try {
  const file = join(dir, 'scale.db');
  const db = openDb(file);
  const store = createEventStore(db.$client);
  const calls: Array<[string, number, number]> = [];
  console.log(`bench:scale: ${EVENTS.toLocaleString('en')} events, ${DEVELOPERS.toLocaleString('en')} developers, 90% api_call, SQLite at ${file}`);
  let applyMs = 0;
  for (let i = 0; i < EVENTS; i += CHUNK) {
    const chunk: NormalizedEvent[] = [];
    for (let j = i; j < Math.min(EVENTS, i + CHUNK); j++) chunk.push(nth(j, calls));
    const t = performance.now();
    store.writeBatches([chunk]);
    const ms = performance.now() - t;
    applyMs += ms;
  }
  console.log(
    `  apply: ${Math.round(EVENTS / (applyMs / 1000)).toLocaleString('en')} events/s (${(applyMs / 1000).toFixed(1)} s in the store, chunks of ${CHUNK})`,
  );
  const database = sqliteDatabase(db.$client);
  const reports = createReportStore(database);
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  const rawBytes = statSync(file).size;
  console.log(`  database with raw calls: ${(rawBytes / 1e6).toFixed(1)} MB = ${(rawBytes / EVENTS).toFixed(0)} bytes per event`);
  const withRaw = await timeReports(reports, 'raw calls kept');

  const deleted = await deleteOldCalls(database, END + 1, { pauseMs: 0 });
  // Minute rollups past their default retention (ONRAMP_API_CALL_MINUTE_DAYS, 7) go too: hours and days remain.
  await retireMinuteRollups(database, minuteFloorFor(7, END)!, { now: END });
  db.$client.exec('VACUUM');
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  const rolledBytes = statSync(file).size;
  const rollupRows = db.$client.prepare('SELECT COUNT(*) FROM api_call_rollups').pluck().get() as number;
  const rollupBytes = db.$client
    .prepare("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'api_call_rollups%' OR name LIKE 'sqlite_autoindex_api_call_rollups%'")
    .pluck()
    .get() as number | null;
  console.log(
    `  past retention (${deleted.toLocaleString('en')} raw calls deleted, VACUUM): ${(rolledBytes / 1e6).toFixed(1)} MB in all = ${(rolledBytes / calls.length).toFixed(1)} bytes per call; ` +
      `rollups ${rollupRows.toLocaleString('en')} rows${rollupBytes ? `, ${(rollupBytes / 1e6).toFixed(1)} MB = ${(rollupBytes / calls.length).toFixed(2)} bytes per call` : ''}`,
  );
  for (const line of callBytesBreakdown(db.$client, calls.length)) console.log(`    ${line}`);
  const pastRetention = await timeReports(reports, 'past retention');

  const duckMs = await duckdbPercentiles(calls);
  console.log(`  DuckDB (in memory, same ${calls.length.toLocaleString('en')} calls): per-endpoint p50/p95/p99 + error counts ${duckMs.toFixed(1)} ms`);
  for (const [name, ms] of pastRetention) {
    if (name.startsWith('api-health'))
      console.log(`  ${name}: DuckDB ÷ onramp = ${(duckMs / ms).toFixed(1)}× (raw calls kept: ${(duckMs / withRaw.get(name)!).toFixed(1)}×)`);
  }
  console.log(`  peak RSS: ${peakRssMb()} MB`);
  db.$client.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
