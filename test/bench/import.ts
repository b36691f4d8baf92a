/**
 * `npm run bench:import`: times `onramp import` into a fresh SQLite file for a synthetic PostHog export
 * (JSON lines and CSV) as the CLI runs it (parse worker + writer thread), on one thread for comparison, and a re-run
 * of the same file (all duplicates). The JSON lines come twice: with random (v4) uuids, the worst case for the uuid
 * index, and with time-ordered UUIDv7s as PostHog's SDKs make them. Prints events/s, CPU-seconds (all threads) and
 * peak RSS. With BENCH_DATABASE_URL=postgres://… (a role that may create databases) it also imports into a
 * throwaway PostgreSQL database (BENCH_IMPORT_PG_EVENTS lines, default 200,000).
 * Target: at least 100,000 events/s into SQLite on a 2-core machine. A minimal bulk insert design runs on the same
 * files for reference (test/bench/reference-insert.ts).
 * Sizes: BENCH_IMPORT_EVENTS (default 1,000,000 JSON lines; CSV uses a fifth of that).
 */

import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import pg from 'pg';
import { createRandom, type Random } from '../../api/demo/random.ts';
import { postgresIngestDatabase } from '../../api/import/database.ts';
import { type ImportTarget, importFile } from '../../api/import/importer.ts';
import { importTarget } from '../../api/import/target.ts';
import { openDb } from '../../db/client.ts';
import { openPgDb } from '../../db/client-pg.ts';
import { referenceInsert } from './reference-insert.ts';

const TOKEN = 'phc_bench';
const EVENTS = Number(process.env.BENCH_IMPORT_EVENTS ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'onramp-bench-import-'));
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

/** A UUIDv7 for `ms`, as PostHog's SDKs give events: time-ordered, so a time-ordered export inserts near the index's end. */
function uuidv7At(rng: Random, ms: number): string {
  const time = ms.toString(16).padStart(12, '0');
  const r = rng.uuid().replaceAll('-', '');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${r.slice(13, 16)}-${'89ab'[parseInt(r[16]!, 16) & 3]}${r.slice(17, 20)}-${r.slice(20, 32)}`;
}

/** A PostHog-like export: ~5 events per person, an `$identify` merging each person's anonymous id. */
async function writeExport(path: string, count: number, csv: boolean, v7 = false) {
  const rng = createRandom(42);
  const out = createWriteStream(path);
  if (csv) out.write('uuid,event,distinct_id,timestamp,properties\n');
  const start = Date.UTC(2026, 0, 1);
  let buffer = '';
  for (let i = 0; i < count; i++) {
    const person = Math.floor(i / 5);
    const step = i % 5;
    const anon = `anon-${person}`;
    const user = `user-${person}`;
    const event = step === 0 ? '$pageview' : step === 1 ? '$identify' : step === 2 ? 'signed_up' : 'api_call';
    const properties: Record<string, unknown> =
      step === 0
        ? { $pathname: '/docs/introduction/', $current_url: 'http://localhost/docs/introduction/', $browser: 'Chrome' }
        : step === 1
          ? { $anon_distinct_id: anon, $set: { email: `u${person}@example.com` } }
          : step === 2
            ? { source: 'search' }
            : {
                status: rng.chance(0.8) ? 201 : 401,
                method: 'POST',
                endpoint: '/sandbox/v1/messages',
                duration_ms: rng.int(5, 200),
                key_prefix: 'onr_test_AbCdEfGh',
              };
    const distinctId = step === 0 ? anon : user;
    const timestamp = new Date(start + i * 1000).toISOString();
    const uuid = v7 ? uuidv7At(rng, start + i * 1000) : rng.uuid();
    buffer += csv
      ? `${uuid},${event},${distinctId},${timestamp},"${JSON.stringify(properties).replaceAll('"', '""')}"\n`
      : `${JSON.stringify({ uuid, event, distinct_id: distinctId, timestamp, properties, team_id: 1, elements_chain: '' })}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

/**
 * Runs one import and prints wall-clock events/s and events per CPU-second of this process. On a machine shared with
 * other work the wall-clock figure understates what an idle machine does; the CPU figure is the one-core throughput.
 */
async function run(
  label: string,
  file: string,
  dbPath: string | (() => Promise<{ target: Database | ImportTarget; close: () => Promise<void> }>),
  restart = false,
  parallel = true,
) {
  const open =
    typeof dbPath === 'string'
      ? async () => {
          const db = openDb(`file:${dbPath}`);
          return { target: db.$client as Database | ImportTarget, close: async () => void db.$client.close() };
        }
      : dbPath;
  const { target, close } = await open();
  const cpuBefore = process.cpuUsage();
  const summary = await importFile(target, file, { projectToken: TOKEN, restart, parallel });
  const cpu = process.cpuUsage(cpuBefore);
  await close();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const events = summary.imported + summary.duplicates;
  const perCpuSecond = Math.round(events / cpuSeconds);
  const mb = (statSync(file).size / 1048576).toFixed(0);
  console.log(
    `${label.padEnd(36)} ${String(summary.imported).padStart(9)} imported ${String(summary.duplicates).padStart(9)} duplicates ` +
      `${(summary.elapsedMs / 1000).toFixed(2).padStart(7)} s wall ${String(summary.eventsPerSecond).padStart(7)} events/s | ` +
      `${cpuSeconds.toFixed(2).padStart(7)} CPU-s ${String(perCpuSecond).padStart(7)} events/CPU-s  (${mb} MiB file)`,
  );
  return { ...summary, perCpuSecond };
}

/** Runs the reference bulk insert design (test/bench/reference-insert.ts) on `file` and prints it like an import. */
async function runReference(label: string, file: string, dbPath: string) {
  const r = await referenceInsert(file, dbPath);
  console.log(
    `${label.padEnd(36)} ${String(r.inserted).padStart(9)} inserted ${String(r.rows - r.inserted).padStart(9)} duplicates ${r.seconds.toFixed(2).padStart(7)} s wall ` +
      `${String(Math.round(r.rows / r.seconds)).padStart(7)} events/s | ${r.cpuSeconds.toFixed(2).padStart(7)} CPU-s ${String(Math.round(r.rows / r.cpuSeconds)).padStart(7)} events/CPU-s`,
  );
  return Math.round(r.rows / r.seconds);
}

/** Imports a `lines`-line export (the start of the SQLite runs' file) into a throwaway database on the PostgreSQL server `serverUrl` names. */
async function runPostgres(serverUrl: string, lines: number) {
  const name = `onramp_bench_import_${Date.now().toString(36)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(sql);
    await client.end();
  };
  await admin(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const part = join(dir, 'pg.jsonl');
    await writeExport(part, lines, false);
    const open = async () => {
      const db = await openPgDb(url.toString(), { poolSize: 2 });
      return { target: importTarget(postgresIngestDatabase(db)), close: () => db.close() };
    };
    await run(`PostgreSQL: ${lines} lines (worker)`, part, open);
    await run('PostgreSQL: same again (--restart)', part, open, true);
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

try {
  const jsonl = join(dir, 'export.jsonl');
  const jsonlV7 = join(dir, 'export-v7.jsonl');
  const csv = join(dir, 'export.csv');
  await writeExport(jsonl, EVENTS, false);
  await writeExport(jsonlV7, EVENTS, false, true);
  await writeExport(csv, Math.round(EVENTS / 5), true);
  console.log(`import benchmark: ${EVENTS} JSON lines, ${Math.round(EVENTS / 5)} CSV rows, fresh SQLite files (WAL, synchronous=NORMAL)`);
  const first = await run('PostHog JSONL, empty DB (CLI: worker)', jsonl, join(dir, 'a.db'));
  await run('same file again (--restart: dedup)', jsonl, join(dir, 'a.db'), true);
  const v7 = await run('same, UUIDv7 uuids (CLI: worker)', jsonlV7, join(dir, 'd.db'));
  await run('PostHog JSONL, empty DB, one thread', jsonl, join(dir, 'c.db'), false, false);
  await run('PostHog CSV, empty DB (CLI: worker)', csv, join(dir, 'b.db'));
  const referenceV4 = await runReference('reference insert (notes), v4 uuids', jsonl, join(dir, 'r4.db'));
  const referenceV7 = await runReference('reference insert (notes), UUIDv7', jsonlV7, join(dir, 'r7.db'));
  const serverUrl = process.env.BENCH_DATABASE_URL;
  if (serverUrl) await runPostgres(serverUrl, Number(process.env.BENCH_IMPORT_PG_EVENTS ?? 200_000));
  else console.log('PostgreSQL import skipped: set BENCH_DATABASE_URL=postgres://… (a role that may create databases)');
  clearInterval(sampler);
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} cores; peak RSS ${(peakRss / 1048576).toFixed(0)} MiB`,
  );
  const verdict = (n: number) => `${n >= 100_000 ? 'met' : 'NOT met'} (${n})`;
  console.log(`target ≥ 100000 events/s, v4 uuids (worst case): wall clock ${verdict(first.eventsPerSecond)}, per CPU-second ${verdict(first.perCpuSecond)}`);
  console.log(
    `target ≥ 100000 events/s, UUIDv7 (as PostHog's SDKs make them): wall clock ${verdict(v7.eventsPerSecond)}, per CPU-second ${verdict(v7.perCpuSecond)}`,
  );
  console.log(`the reference insert alone (no validation, identity or report indexes, same files): v4 ${referenceV4} events/s, UUIDv7 ${referenceV7} events/s`);
} finally {
  clearInterval(sampler);
  rmSync(dir, { recursive: true, force: true });
}
