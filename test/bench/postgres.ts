/**
 * The PostgreSQL side of `npm run bench`, run when `BENCH_DATABASE_URL` names a PostgreSQL server (a role that may
 * create databases): a throwaway database is created there and dropped afterwards. Prints, side by side with
 * SQLite on a temp file:
 * - ingest throughput of the storage layer: 20k events as 200 requests of 100 (up to 20 in flight, as concurrent
 *   SDKs) through the logged writer, then `settle()` applying the log (identity, dedup, report indexes);
 * - report times on one generated dataset (BENCH_PG_EVENTS, default 200,000 events) loaded into both;
 * - HTTP ingest of the real server (`api/server.ts`) on each backend: autocannon with 50 connections for
 *   BENCH_HTTP_SECONDS (default 10) on single-event `/i/v0/e/` and on gzip `/batch/` of 50 events, then the time
 *   the next report waits while the server applies what it acknowledged.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { rebuildCallTrafficIfMissing } from '../../api/analytics/api-traffic/rebuild.ts';
import { parseFunnelParams } from '../../api/analytics/funnel-params.ts';
import { parseRangeParams, parseTtfsiParams } from '../../api/analytics/params.ts';
import { type NormalizedEvent, validateCapture } from '../../api/ingest/validate.ts';
import { createEventWriter } from '../../api/ingest/writer.ts';
import { pgStorage } from '../../api/storage/postgres.ts';
import { postgresDatabase } from '../../api/storage/sql/postgres.ts';
import { sqliteDatabase } from '../../api/storage/sql/sqlite.ts';
import { sqliteStorage } from '../../api/storage/sqlite.ts';
import { openDb } from '../../db/client.ts';
import { type OnrampPgDb, openPgDb } from '../../db/client-pg.ts';
import { PROJECT_TOKEN } from '../support/app.ts';
import { copyToPostgres } from '../support/copy-to-postgres.ts';
import { type RunningServer, startServer } from '../support/server.ts';
import { generateEvents } from './generate-events.ts';

const INGEST_EVENTS = 20_000;
const PER_REQUEST = 100;
const IN_FLIGHT = 20;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DAY = 86_400_000;

/** Realistic requests: 2,000 users, mostly page views and API calls, some `$set` and `$identify`. */
function ingestRequests(): NormalizedEvent[][] {
  const out: NormalizedEvent[][] = [];
  for (let r = 0; r < INGEST_EVENTS / PER_REQUEST; r += 1) {
    const batch = Array.from({ length: PER_REQUEST }, (_, i) => {
      const n = r * PER_REQUEST + i;
      const user = `user-${n % 2_000}`;
      const properties: Record<string, unknown> = {
        $current_url: `https://docs.example.com/page/${n % 50}`,
        $pathname: `/page/${n % 50}`,
        $browser: 'Firefox',
      };
      if (n % 50 === 0) return { event: '$identify', distinct_id: user, properties: { ...properties, $anon_distinct_id: `anon-${n % 2_000}` } };
      if (n % 10 === 0) return { event: '$set', distinct_id: user, $set: { plan: n % 3 ? 'free' : 'pro', seen: n } };
      if (n % 3 === 0)
        return { event: 'api_call', distinct_id: user, properties: { status: n % 17 ? 200 : 500, endpoint: '/v1/messages', duration_ms: n % 300 } };
      return { event: '$pageview', distinct_id: n % 4 ? user : `anon-${n % 2_000}`, properties };
    });
    out.push(validateCapture({ api_key: PROJECT_TOKEN, batch }, { projectToken: PROJECT_TOKEN }));
  }
  return out;
}

interface IngestResult {
  writePerSecond: number;
  settlePerSecond: number;
}

async function timeIngest(writer: { write: (e: NormalizedEvent[]) => Promise<void>; settle: () => Promise<void> }): Promise<IngestResult> {
  const all = ingestRequests();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < all.length) await writer.write(all[next++]!);
    }),
  );
  const written = performance.now();
  await writer.settle();
  const settled = performance.now();
  return { writePerSecond: INGEST_EVENTS / ((written - started) / 1000), settlePerSecond: INGEST_EVENTS / ((settled - written) / 1000) };
}

async function medianMs(fn: () => unknown): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

/** A throwaway database on the server `url` names, dropped by the returned function. */
async function throwawayDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `onramp_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const own = new URL(url);
  own.pathname = `/${name}`;
  return {
    url: own.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const HTTP_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const BATCH_SIZE = 50;

interface HttpRun {
  eventsPerSecond: number;
  p99: number;
  failed: number;
}

/** autocannon against one server: 50 connections, each request a new event (or batch of 50) with its own uuid. */
async function hammer(server: RunningServer, path: '/i/v0/e/' | '/batch/'): Promise<HttpRun> {
  const pageview = (i: number) => ({
    uuid: uuidv7(),
    event: '$pageview',
    distinct_id: `bench-${i % 2_000}`,
    properties: { $current_url: `https://docs.example.com/p/${i % 50}` },
  });
  let i = 0;
  const batch = path === '/batch/';
  const result = await autocannon({
    url: `${server.url}${path}`,
    method: 'POST',
    connections: 50,
    duration: HTTP_SECONDS,
    headers: { 'content-type': 'application/json', ...(batch ? { 'content-encoding': 'gzip' } : {}) },
    requests: [
      {
        setupRequest: (req) => {
          i += 1;
          const body = batch
            ? gzipSync(JSON.stringify({ api_key: server.projectToken, batch: Array.from({ length: BATCH_SIZE }, (_, j) => pageview(i * BATCH_SIZE + j)) }), {
                level: 1,
              })
            : JSON.stringify({ api_key: server.projectToken, ...pageview(i) });
          return { ...req, body: body as unknown as string };
        },
      },
    ],
  });
  return {
    eventsPerSecond: (result['2xx'] * (batch ? BATCH_SIZE : 1)) / HTTP_SECONDS,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

/** Seconds the next report waits while the server applies what it acknowledged (GET /api/v1/events settles first). */
async function catchUpSeconds(server: RunningServer): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${server.url}/api/v1/events?limit=1`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  if (res.status !== 200) throw new Error(`events: ${res.status} ${await res.text()}`);
  return (performance.now() - started) / 1000;
}

/** The HTTP ingest rows of the table: the real server on a SQLite file and on a PostgreSQL database. */
async function httpIngest(pgUrl: string): Promise<string[]> {
  const sqliteServer = await startServer({ env: { ONRAMP_DEMO: '0' } });
  const pgServer = await startServer({ env: { ONRAMP_DEMO: '0' }, databaseUrl: pgUrl });
  try {
    const rows: string[] = [];
    for (const path of ['/i/v0/e/', '/batch/'] as const) {
      const results: Array<HttpRun & { catchUp: number }> = [];
      for (const server of [sqliteServer, pgServer]) {
        const run = await hammer(server, path);
        results.push({ ...run, catchUp: await catchUpSeconds(server) });
      }
      const [lite, post] = results as [HttpRun & { catchUp: number }, HttpRun & { catchUp: number }];
      const cell = (r: HttpRun) => `${fmt(r.eventsPerSecond)} events/s, p99 ${r.p99} ms${r.failed ? `, ${fmt(r.failed)} failed` : ''}`;
      rows.push(`| HTTP ${path}${path === '/batch/' ? ` gzip ×${BATCH_SIZE}` : ''}, 50 connections, ${HTTP_SECONDS} s | ${cell(lite)} | ${cell(post)} |`);
      rows.push(`| … then the next report waits for the apply | ${lite.catchUp.toFixed(1)} s | ${post.catchUp.toFixed(1)} s |`);
    }
    return rows;
  } finally {
    await sqliteServer.stop();
    await pgServer.stop();
  }
}

async function main() {
  const serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) {
    console.log('bench:postgres skipped: set BENCH_DATABASE_URL=postgres://… (a role that may create databases) to compare with SQLite');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'onramp-bench-pg-'));
  const ingestDb = await throwawayDatabase(serverUrl);
  const reportDb = await throwawayDatabase(serverUrl);
  const httpDb = await throwawayDatabase(serverUrl);
  let pgDb: OnrampPgDb | undefined;
  try {
    console.log(`bench:postgres — ingest ${fmt(INGEST_EVENTS)} events, reports on BENCH_PG_EVENTS events, median of ${RUNS} warm runs`);
    const sqlite = openDb(join(dir, 'ingest.db'));
    const sqliteWriter = createEventWriter(sqliteDatabase(sqlite.$client), { logged: true });
    const sqliteIngest = await timeIngest(sqliteWriter);
    sqliteWriter.close();
    sqlite.$client.close();
    const ingestPg = await openPgDb(ingestDb.url);
    const pgWriter = createEventWriter(postgresDatabase(ingestPg.$client), { logged: true });
    const pgIngest = await timeIngest(pgWriter);
    await pgWriter.close();
    await ingestPg.close();

    const events = Number(process.env.BENCH_PG_EVENTS ?? 200_000);
    const end = Date.UTC(2026, 5, 1);
    const reportSqlite = openDb(join(dir, 'reports.db'));
    generateEvents(reportSqlite.$client, { events, persons: Math.max(1, Math.floor(events / 5)), end });
    pgDb = await openPgDb(reportDb.url);
    // Generated straight into `events`: rollups and call facts built from the raw calls, on each database.
    await rebuildCallTrafficIfMissing(sqliteDatabase(reportSqlite.$client));
    const copied = await copyToPostgres(reportSqlite.$client, pgDb);
    await rebuildCallTrafficIfMissing(postgresDatabase(pgDb.$client));
    const query = { from: String(end - 30 * DAY), to: String(end) };
    // The same report code the routes run, through each dialect's storage adapter.
    const lite = sqliteStorage(reportSqlite).reports;
    const post = pgStorage(pgDb).reports;
    const reports: Array<[string, (r: typeof lite) => Promise<unknown>]> = [
      ['funnel (default)', (r) => r.funnel(parseFunnelParams(query))],
      ['funnel strict', (r) => r.funnel(parseFunnelParams({ ...query, order: 'strict' }))],
      ['funnel breakdown utm_source', (r) => r.funnel(parseFunnelParams({ ...query, breakdown: 'utm_source' }))],
      ['ttfsi', (r) => r.ttfsi(parseTtfsiParams(query))],
      ['docs', (r) => r.docs(parseRangeParams(query))],
      ['api-health', (r) => r.apiHealth(parseRangeParams(query))],
    ];
    console.log('\n| measure | SQLite | PostgreSQL |');
    console.log('|---|---|---|');
    console.log(`| ingest: acknowledge (write to the log) | ${fmt(sqliteIngest.writePerSecond)} events/s | ${fmt(pgIngest.writePerSecond)} events/s |`);
    console.log(`| ingest: apply the log (settle) | ${fmt(sqliteIngest.settlePerSecond)} events/s | ${fmt(pgIngest.settlePerSecond)} events/s |`);
    for (const [name, run] of reports) {
      console.log(
        `| ${name} (${fmt(copied)} events) | ${(await medianMs(() => run(lite))).toFixed(0)} ms | ${(await medianMs(() => run(post))).toFixed(0)} ms |`,
      );
    }
    reportSqlite.$client.close();
    for (const row of await httpIngest(httpDb.url)) console.log(row);
  } finally {
    await pgDb?.close();
    await ingestDb.drop();
    await reportDb.drop();
    await httpDb.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
