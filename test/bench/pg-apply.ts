/**
 * Applying one ingest log on PostgreSQL by one instance and by two at once (api/ingest/apply-partitions.ts). The log
 * is the demo history (BENCH_DEVELOPERS developers, default 3,000) in time order, as capture receives it: each
 * `$identify` / `$create_alias` in a request of its own (a browser sends one event per request), every other event in
 * 50-event requests, a hundred requests per group commit. A second log holds the same history without its links
 * (every event of a developer under one id), the upper bound when links are rare. Each run applies a fresh copy of
 * the log on its own database with idle chunks (`processChunk`) until it is empty, from 1 or 2 processes (each an
 * instance with its own pool), and prints events/s, the appliers' CPU time and the load average; "exclusive" is the apply under one lock (a settle's path, and every apply before
 * partitions). `BENCH_DATABASE_URL` names a server (a role that may create databases); without it a throwaway
 * cluster is started as the tests do.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { generateDemoEvents } from '../../api/demo/seed.ts';
import { createLogProcessor } from '../../api/ingest/log-processor.ts';
import { inProcessRequests, type LogItem } from '../../api/ingest/raw-log.ts';
import type { NormalizedEvent } from '../../api/ingest/validate.ts';
import type { SqlDatabase } from '../../api/storage/sql/interface.ts';
import { postgresDatabase } from '../../api/storage/sql/postgres.ts';
import { openPgDb } from '../../db/client-pg.ts';
import { startPostgres } from '../support/postgres.ts';

const developers = Number(process.env.BENCH_DEVELOPERS ?? 3000);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const now = Date.UTC(2026, 0, 1);

/** The history as group commits of requests, with links in requests of their own; `unlinked` drops the links. */
function commits(events: NormalizedEvent[], unlinked: boolean): LogItem[][] {
  const receivedAt = now + 3_600_000;
  const requests: NormalizedEvent[][] = [];
  let batch: NormalizedEvent[] = [];
  for (const e of events) {
    const event = { ...e, receivedAt };
    if (event.event === '$identify' || event.event === '$create_alias') {
      if (!unlinked) requests.push([event]);
      continue;
    }
    batch.push(event);
    if (batch.length === 50) {
      requests.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) requests.push(batch);
  const items = requests.flatMap((request) => inProcessRequests(request));
  const out: LogItem[][] = [];
  for (let i = 0; i < items.length; i += 100) out.push(items.slice(i, i + 100));
  return out;
}

/** Applies with idle chunks (or waiting, `exclusive`) until the log is empty. */
async function applyAll(database: SqlDatabase, exclusive: boolean): Promise<void> {
  const processor = createLogProcessor(database);
  for (;;) {
    const result = await processor.processChunk({ wait: exclusive });
    if (result === 0) return;
    if (result === 'busy') await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** One instance: a process of its own (so instances do not share an event loop), started and connected ahead. */
async function instance(url: string, exclusive: boolean): Promise<{ go: () => Promise<{ cpuSeconds: number }> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, BENCH_APPLY_URL: url, BENCH_APPLY_EXCLUSIVE: exclusive ? '1' : '' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  const exited = new Promise<void>((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`applier exited with ${code}`)))),
  );
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (out.startsWith('ready\n')) resolve();
    }),
  );
  return {
    go: async () => {
      child.stdin.end('go\n');
      await exited;
      return JSON.parse(out.slice('ready\n'.length)) as { cpuSeconds: number };
    },
  };
}

async function run(serverUrl: string, log: LogItem[][], instances: number, exclusive: boolean, label: string): Promise<void> {
  const name = `onramp_bench_apply_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openPgDb(url.toString());
  try {
    const database = postgresDatabase(db.$client);
    for (const items of log) await createLogProcessor(database).append(items);
    const row = await database.get<{ n: number; links: number }>(sql`SELECT SUM(event_count) AS n, SUM(links) AS links FROM ingest_log`);
    const events = Number(row?.n);
    const appliers = await Promise.all(Array.from({ length: instances }, () => instance(url.toString(), exclusive)));
    const started = performance.now();
    const used = await Promise.all(appliers.map((applier) => applier.go()));
    const seconds = (performance.now() - started) / 1000;
    const cpu = used.reduce((sum, u) => sum + u.cpuSeconds, 0);
    console.log(
      `${label}: ${events} events (${row?.links} link rows) in ${seconds.toFixed(2)} s = ${Math.round(events / seconds)} events/s, ` +
        `appliers' CPU ${cpu.toFixed(2)} s (${Math.round((cpu / events) * 1e6)} µs/event), load ${loadavg()[0]!.toFixed(2)}`,
    );
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE ${name}`);
    await admin.end();
  }
}

if (process.env.BENCH_APPLY_URL) {
  const db = await openPgDb(process.env.BENCH_APPLY_URL);
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const cpu = process.cpuUsage();
  await applyAll(postgresDatabase(db.$client), process.env.BENCH_APPLY_EXCLUSIVE === '1');
  const used = process.cpuUsage(cpu);
  await db.close();
  process.stdout.write(JSON.stringify({ cpuSeconds: (used.user + used.system) / 1e6 }));
  process.exit(0);
}

const server = process.env.BENCH_DATABASE_URL ? undefined : await startPostgres();
const serverUrl = process.env.BENCH_DATABASE_URL ?? server!.url;
try {
  const { events } = generateDemoEvents({ developers, now });
  events.sort((a, b) => a.timestamp - b.timestamp);
  const linked = commits(events, false);
  // Without links, each developer's events all under their final id (the one their $identify chose).
  const finalId = new Map<string, string>();
  for (const e of events)
    if (e.event === '$identify' && typeof e.properties.$anon_distinct_id === 'string') finalId.set(e.properties.$anon_distinct_id, e.distinctId);
  const unlinked = commits(
    events.map((e) => ({ ...e, distinctId: finalId.get(e.distinctId) ?? e.distinctId })),
    true,
  );
  for (let i = 0; i < RUNS; i += 1) {
    await run(serverUrl, linked, 1, true, 'with links, exclusive (one lock)');
    await run(serverUrl, linked, 1, false, 'with links, 1 instance');
    await run(serverUrl, linked, 2, false, 'with links, 2 instances');
    await run(serverUrl, unlinked, 1, true, 'no links, exclusive (one lock)');
    await run(serverUrl, unlinked, 1, false, 'no links, 1 instance');
    await run(serverUrl, unlinked, 2, false, 'no links, 2 instances');
  }
} finally {
  await server?.stop();
}
