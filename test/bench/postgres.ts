/**
 * The PostgreSQL side of `npm run bench`, run when `BENCH_DATABASE_URL` names a PostgreSQL server (a role that may
 * create databases): a throwaway database is created there and dropped afterwards. Prints, side by side with
 * SQLite on a temp file:
 * - ingest throughput of the storage layer: 20k events as 200 requests of 100 (up to 20 in flight, as concurrent
 *   SDKs) through the logged writer, then `settle()` applying the log (identity, dedup, report indexes);
 * - report times on one generated dataset (BENCH_PG_EVENTS, default 200,000 events) loaded into both.
 * PostgreSQL is not yet wired into the server (issue #7), so this measures the modules the server will use.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { shapeApiHealth } from '../../api/analytics/api-health.ts';
import { loadApiHealthData } from '../../api/analytics/api-health-query.ts';
import { shapeDocs } from '../../api/analytics/docs.ts';
import { loadDocsData } from '../../api/analytics/docs-query.ts';
import { funnelReport } from '../../api/analytics/funnel-report.ts';
import { parseFunnelParams, parseRangeParams, parseTtfsiParams } from '../../api/analytics/params.ts';
import { apiHealthReportPg, docsReportPg, funnelReportPg, ttfsiReportPg } from '../../api/analytics/pg/reports.ts';
import { createTtfsiCollector } from '../../api/analytics/ttfsi.ts';
import { streamTtfsi } from '../../api/analytics/ttfsi-query.ts';
import { createPgEventWriter } from '../../api/ingest/pg/writer.ts';
import { validateCapture, type NormalizedEvent } from '../../api/ingest/validate.ts';
import { createEventWriter } from '../../api/ingest/writer.ts';
import { openDb } from '../../db/client.ts';
import { openPgDb, type OnrampPgDb } from '../../db/client-pg.ts';
import { PROJECT_TOKEN } from '../support/app.ts';
import { copyToPostgres } from '../support/copy-to-postgres.ts';
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
      const properties: Record<string, unknown> = { $current_url: `https://docs.example.com/page/${n % 50}`, $pathname: `/page/${n % 50}`, $browser: 'Firefox' };
      if (n % 50 === 0) return { event: '$identify', distinct_id: user, properties: { ...properties, $anon_distinct_id: `anon-${n % 2_000}` } };
      if (n % 10 === 0) return { event: '$set', distinct_id: user, $set: { plan: n % 3 ? 'free' : 'pro', seen: n } };
      if (n % 3 === 0) return { event: 'api_call', distinct_id: user, properties: { status: n % 17 ? 200 : 500, endpoint: '/v1/messages', duration_ms: n % 300 } };
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

async function main() {
  const serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) {
    console.log('bench:postgres skipped: set BENCH_DATABASE_URL=postgres://… (a role that may create databases) to compare with SQLite');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'onramp-bench-pg-'));
  const ingestDb = await throwawayDatabase(serverUrl);
  const reportDb = await throwawayDatabase(serverUrl);
  let pgDb: OnrampPgDb | undefined;
  try {
    console.log(`bench:postgres — ingest ${fmt(INGEST_EVENTS)} events, reports on BENCH_PG_EVENTS events, median of ${RUNS} warm runs`);
    const sqlite = openDb(join(dir, 'ingest.db'));
    const sqliteWriter = createEventWriter(sqlite.$client, { logged: true });
    const sqliteIngest = await timeIngest(sqliteWriter);
    sqliteWriter.close();
    sqlite.$client.close();
    const ingestPg = await openPgDb(ingestDb.url);
    const pgWriter = createPgEventWriter(ingestPg);
    const pgIngest = await timeIngest(pgWriter);
    await pgWriter.close();
    await ingestPg.close();

    const events = Number(process.env.BENCH_PG_EVENTS ?? 200_000);
    const end = Date.UTC(2026, 5, 1);
    const reportSqlite = openDb(join(dir, 'reports.db'));
    generateEvents(reportSqlite.$client, { events, persons: Math.max(1, Math.floor(events / 5)), end });
    pgDb = await openPgDb(reportDb.url);
    const copied = await copyToPostgres(reportSqlite.$client, pgDb);
    const db = pgDb;
    const query = { from: String(end - 30 * DAY), to: String(end) };
    const s = reportSqlite.$client;
    const reports: Array<[string, () => unknown, () => Promise<unknown>]> = [
      ['funnel (default)', () => funnelReport(s, parseFunnelParams(query)), () => funnelReportPg(db, parseFunnelParams(query))],
      ['funnel strict', () => funnelReport(s, parseFunnelParams({ ...query, order: 'strict' })), () => funnelReportPg(db, parseFunnelParams({ ...query, order: 'strict' }))],
      [
        'funnel breakdown utm_source',
        () => funnelReport(s, parseFunnelParams({ ...query, breakdown: 'utm_source' })),
        () => funnelReportPg(db, parseFunnelParams({ ...query, breakdown: 'utm_source' })),
      ],
      [
        'ttfsi',
        () => {
          const p = parseTtfsiParams(query);
          const c = createTtfsiCollector(p.to);
          streamTtfsi(s, p, c.add);
          return c.result();
        },
        () => ttfsiReportPg(db, parseTtfsiParams(query)),
      ],
      ['docs', () => shapeDocs(loadDocsData(s, parseRangeParams(query))), () => docsReportPg(db, parseRangeParams(query))],
      ['api-health', () => shapeApiHealth(loadApiHealthData(s, parseRangeParams(query))), () => apiHealthReportPg(db, parseRangeParams(query))],
    ];
    console.log('\n| measure | SQLite | PostgreSQL |');
    console.log('|---|---|---|');
    console.log(`| ingest: acknowledge (write to the log) | ${fmt(sqliteIngest.writePerSecond)} events/s | ${fmt(pgIngest.writePerSecond)} events/s |`);
    console.log(`| ingest: apply the log (settle) | ${fmt(sqliteIngest.settlePerSecond)} events/s | ${fmt(pgIngest.settlePerSecond)} events/s |`);
    for (const [name, onSqlite, onPg] of reports) {
      console.log(`| ${name} (${fmt(copied)} events) | ${(await medianMs(onSqlite)).toFixed(0)} ms | ${(await medianMs(onPg)).toFixed(0)} ms |`);
    }
    reportSqlite.$client.close();
  } finally {
    await pgDb?.close();
    await ingestDb.drop();
    await reportDb.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
