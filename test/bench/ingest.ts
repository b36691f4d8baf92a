/**
 * `npm run bench:ingest`: Onramp's capture path against a bare Hono endpoint that only parses the same JSON body,
 * in the same run on the same machine, plus the posthog-node style `/batch/` path with gzip'd 50-event batches.
 * Each round also measures the reference design the issue's target comes from (test/bench/reference-server.ts), so
 * the ratio can be read against what durable storage before the reply costs on this machine at that moment.
 *
 * Env: BENCH_SECONDS (default 10), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50), BENCH_WARMUP_SECONDS (3),
 * BENCH_STRICT=1 to exit 1 on a missed target.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { drainLog } from '../../api/ingest/log-processor.ts';
import { sqliteDatabase } from '../../api/storage/sql/sqlite.ts';
import { freePort, startServer } from '../support/server.ts';
import { peakRssMiB } from './scale/measure.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const BATCH_SIZE = 50;
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const TARGET_RATIO = 0.8;
const TARGET_P99_MS = 20;
const TARGET_BATCH_EVENTS = 100_000;

const root = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'phc_onramp_local';

// Unique, time-ordered uuids without paying for crypto per request on the (shared) client core.
const runPrefix = `${Date.now().toString(16).padStart(12, '0').slice(-12)}`;
const runRandom = randomBytes(2).toString('hex');
let counter = 0;
function nextUuid(): string {
  counter += 1;
  return `${runPrefix.slice(0, 8)}-${runPrefix.slice(8, 12)}-7${runRandom.slice(0, 3)}-8${runRandom.slice(3)}00-${counter.toString(16).padStart(12, '0')}`;
}

/** A `$pageview` shaped like posthog-js's, about 700 bytes of JSON. */
function pageview(distinctId: string) {
  return {
    uuid: nextUuid(),
    event: '$pageview',
    timestamp: new Date().toISOString(),
    properties: {
      token: TOKEN,
      distinct_id: distinctId,
      $current_url: 'http://localhost:8787/docs/quickstart/',
      $pathname: '/docs/quickstart/',
      $host: 'localhost:8787',
      $browser: 'Chrome',
      $browser_version: 131,
      $os: 'Linux',
      $device_type: 'Desktop',
      $lib: 'web',
      $lib_version: '1.200.0',
      $referrer: '$direct',
      $screen_height: 1080,
      $screen_width: 1920,
      $viewport_height: 960,
      $viewport_width: 1920,
      $session_id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
      $window_id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c',
      $pageview_id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d',
      title: 'Quickstart | Onramp docs',
    },
  };
}

const singleBody = (i: number) => JSON.stringify(pageview(`bench-user-${i % 2000}`));
const makeBatchBody = (i: number) =>
  gzipSync(JSON.stringify({ api_key: TOKEN, batch: Array.from({ length: BATCH_SIZE }, (_, j) => pageview(`bench-node-${(i + j) % 500}`)) }), { level: 1 });

/**
 * Bodies for one `/batch/` run, built before it starts: JSON-encoding and gzipping 50 events costs the client about
 * 0.3 ms a request, CPU it would otherwise take from the server on these shared cores. Sized for 1.5× the target
 * (about 1 KB each gzipped); every body has fresh uuids, and past the pool they are built on the fly.
 */
function batchBodies(seconds: number): (i: number) => Buffer {
  const pool = Array.from({ length: Math.ceil((TARGET_BATCH_EVENTS * 1.5 * seconds) / BATCH_SIZE) }, (_, i) => makeBatchBody(i));
  return (i) => pool[i - 1] ?? makeBatchBody(i);
}

interface Run {
  label: string;
  reqPerSec: number;
  eventsPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  ok: number;
  /** Server CPU time (all threads, user + system) per acknowledged request, in µs: less swayed by other load. */
  cpuUsPerRequest: number;
}

/** Kernel clock ticks per second (`getconf CLK_TCK`), the unit of /proc/<pid>/stat times on Linux. */
const CLOCK_TICKS = 100;

/** CPU time a process has used so far (user + system, every thread), in µs, from /proc. */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}

async function cannon(
  label: string,
  url: string,
  eventsPerRequest: number,
  body: (i: number) => string | Buffer,
  headers: Record<string, string>,
  seconds = SECONDS,
  serverPid?: number,
): Promise<Run> {
  let i = 0;
  const cpuBefore = serverPid ? cpuUs(serverPid) : 0;
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers,
    requests: [
      {
        setupRequest: (req) => {
          i += 1;
          return { ...req, body: body(i) };
        },
      },
    ],
  });
  const ok = result['2xx'];
  const cpu = serverPid ? cpuUs(serverPid) - cpuBefore : 0;
  return {
    label,
    reqPerSec: ok / seconds,
    eventsPerSec: (ok * eventsPerRequest) / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    ok,
    cpuUsPerRequest: ok > 0 ? cpu / ok : 0,
  };
}

interface Drain {
  events: number;
  seconds: number;
}

/**
 * Lets Onramp apply its ingest log before the next run: the log is applied while the server is idle, and that work
 * must not land inside the next run, least of all a bare run it would slow down. The time it takes is Onramp's
 * sustained apply rate, printed beside the acknowledgement rate.
 */
async function drainOnramp(onramp: { url: string; adminToken: string; databasePath: string }): Promise<Drain> {
  const headers = { authorization: `Bearer ${onramp.adminToken}` };
  const status = (await (await fetch(`${onramp.url}/api/v1/ingest/status`, { headers })).json()) as { backlogEvents: number };
  const started = performance.now();
  const res = await fetch(`${onramp.url}/api/v1/events?limit=1`, { headers });
  if (res.status !== 200) throw new Error(`draining the ingest log: ${res.status} ${await res.text()}`);
  const seconds = (performance.now() - started) / 1000;
  // Applying the log leaves up to hundreds of MB of WAL that the server's checkpoint thread would otherwise copy
  // and fsync during the next run, whichever server that run measures: checkpoint it here, while both are idle.
  const db = new Database(onramp.databasePath);
  try {
    db.pragma('busy_timeout = 10000');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return { events: status.backlogEvents, seconds };
}

/** Starts one of the comparison servers (test/bench/*-server.ts) in its own process. */
function startComparison(script: string, name: string, env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess }> {
  return freePort().then(
    (port) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script], {
          cwd: root,
          env: { ...process.env, ...env, PORT: String(port) },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        child.stdout!.on('data', (d: Buffer) => {
          if (String(d).includes(`${name} listening`)) resolve({ url: `http://127.0.0.1:${port}`, child });
        });
        child.once('exit', (code) => reject(new Error(`${name} server exited with ${code}`)));
      }),
  );
}

/** The single-event servers every round measures, in the first round's order. */
const WHICH = ['bare', 'onramp', 'reference'] as const;
type Which = (typeof WHICH)[number];
type Server = { url: string; child: ChildProcess };
const LABELS: Record<Which, string> = {
  bare: 'bare Hono parse-only',
  onramp: 'Onramp /i/v0/e/',
  reference: 'reference design /i/v0/e/',
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main() {
  console.log(
    `bench:ingest — ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} rounds (node ${process.version}, ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`,
  );
  const bare = await startComparison('test/bench/bare-server.ts', 'bare');
  let onramp: Awaited<ReturnType<typeof startServer>> | undefined;
  let reference: Server;
  try {
    onramp = await startServer({ env: { ONRAMP_DEMO: '0' } });
    reference = await startComparison('test/bench/reference-server.ts', 'reference', { REFERENCE_DB: join(dirname(onramp.databasePath), 'reference.db') });
  } catch (err) {
    bare.child.kill('SIGTERM');
    await onramp?.stop();
    throw err;
  }
  const json = { 'content-type': 'application/json' };
  const runs: Record<Which | 'batch', Run[]> = { bare: [], onramp: [], reference: [], batch: [] };
  let warmup: Run[] = [];
  const drains: Drain[] = [];
  const gzipHeaders = { ...json, 'content-encoding': 'gzip' };
  try {
    // JIT warm-up for both servers, not counted: the first seconds of a fresh process measure the compiler.
    warmup = [
      await cannon('warm-up bare', `${bare.url}/i/v0/e/`, 1, singleBody, json, WARMUP_SECONDS),
      await cannon('warm-up Onramp', `${onramp.url}/i/v0/e/`, 1, singleBody, json, WARMUP_SECONDS),
      await cannon('warm-up reference', `${reference.url}/i/v0/e/`, 1, singleBody, json, WARMUP_SECONDS),
    ];
    // The single-event comparison runs first: the /batch/ runs add ~10× more rows, and a bigger database makes
    // every later insert dearer, which would tilt the ratio by the bench's own order rather than by the code.
    for (let round = 1; round <= ROUNDS; round += 1) {
      // Rotate the order so no server always runs on a warmer (or busier) machine.
      const servers = { bare, onramp: onramp as Server, reference };
      const order = WHICH.map((_, k) => WHICH[(k + round - 1) % WHICH.length]!);
      for (const which of order) {
        drains.push(await drainOnramp(onramp));
        runs[which].push(await cannon(LABELS[which], `${servers[which].url}/i/v0/e/`, 1, singleBody, json, SECONDS, servers[which].child.pid));
      }
      const [b, o, r] = [runs.bare.at(-1)!, runs.onramp.at(-1)!, runs.reference.at(-1)!];
      console.log(
        `round ${round}: bare ${fmt(b.reqPerSec)} req/s (p50 ${b.p50} / p99 ${b.p99} ms) | Onramp ${fmt(o.eventsPerSec)} events/s ` +
          `(p50 ${o.p50} / p99 ${o.p99} ms) | ratio ${(o.reqPerSec / b.reqPerSec).toFixed(2)} | ` +
          `reference ${fmt(r.reqPerSec)} req/s, ratio ${(r.reqPerSec / b.reqPerSec).toFixed(2)} | ` +
          `server CPU per request: bare ${b.cpuUsPerRequest.toFixed(0)} µs, Onramp ${o.cpuUsPerRequest.toFixed(0)} µs, reference ${r.cpuUsPerRequest.toFixed(0)} µs`,
      );
    }
    warmup.push(await cannon('warm-up /batch/', `${onramp.url}/batch/`, BATCH_SIZE, batchBodies(WARMUP_SECONDS), gzipHeaders, WARMUP_SECONDS));
    for (let round = 1; round <= ROUNDS; round += 1) {
      const bodies = batchBodies(SECONDS);
      drains.push(await drainOnramp(onramp));
      const g = await cannon('Onramp /batch/ ×50 gzip', `${onramp.url}/batch/`, BATCH_SIZE, bodies, gzipHeaders, SECONDS, onramp.child.pid);
      runs.batch.push(g);
      drains.push(await drainOnramp(onramp));
      console.log(
        `/batch/ round ${round}: ${fmt(g.eventsPerSec)} events/s (${fmt(g.reqPerSec)} req/s, p50 ${g.p50} / p99 ${g.p99} ms, ` +
          `server CPU ${(g.cpuUsPerRequest / BATCH_SIZE).toFixed(1)} µs per event)`,
      );
    }
  } finally {
    const rss = peakRssMiB(onramp.child.pid!);
    const bareRss = peakRssMiB(bare.child.pid!);
    const referenceRss = peakRssMiB(reference.child.pid!);
    bare.child.kill('SIGTERM');
    reference.child.kill('SIGTERM');
    await onramp.stop();
    try {
      await summarize(runs, { onramp: rss, bare: bareRss, reference: referenceRss }, onramp.databasePath, warmup, drains);
    } finally {
      // A run stores millions of events (GBs); left behind, a few runs fill the disk.
      rmSync(dirname(onramp.databasePath), { recursive: true, force: true });
    }
  }
}

async function summarize(
  runs: Record<Which | 'batch', Run[]>,
  rss: Record<'onramp' | 'bare' | 'reference', number>,
  databasePath: string,
  warmup: Run[],
  drains: Drain[],
) {
  const ratios = runs.onramp.map((o, i) => o.reqPerSec / runs.bare[i]!.reqPerSec);
  const ratio = median(ratios);
  const referenceRatios = runs.reference.map((r, i) => r.reqPerSec / runs.bare[i]!.reqPerSec);
  const p99 = median(runs.onramp.map((r) => r.p99));
  const batchEvents = median(runs.batch.map((r) => r.eventsPerSec));
  const failures = [...runs.onramp, ...runs.batch].reduce((n, r) => n + r.non2xx + r.errors, 0);

  // What shutdown left in the ingest log is applied here, as the next start would, before counting.
  const db = new Database(databasePath);
  const leftInLog = await drainLog(sqliteDatabase(db));
  const stored = db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
  db.close();
  const warm = (label: string) => warmup.filter((r) => r.label === label);
  const acknowledged =
    [...runs.onramp, ...warm('warm-up Onramp')].reduce((n, r) => n + r.ok, 0) +
    [...runs.batch, ...warm('warm-up /batch/')].reduce((n, r) => n + r.ok * BATCH_SIZE, 0);

  const row = (name: string, rs: Run[], perReq: number) =>
    `| ${name} | ${fmt(median(rs.map((r) => r.eventsPerSec)))} | ${fmt(median(rs.map((r) => r.reqPerSec)))} | ${median(rs.map((r) => r.p50))} / ${median(rs.map((r) => r.p99))} | ${perReq} |`;
  console.log('\nmedian of rounds:');
  console.log('| endpoint | events/s | req/s | p50 / p99 ms | events/request |');
  console.log('|---|---|---|---|---|');
  console.log(row('bare Hono, parse JSON only', runs.bare, 1));
  console.log(row('Onramp `/i/v0/e/`, committed before reply', runs.onramp, 1));
  console.log(row('reference design, committed before reply', runs.reference, 1));
  console.log(row('Onramp `/batch/` gzip, committed before reply', runs.batch, BATCH_SIZE));
  console.log(`\nratio Onramp / bare: ${ratio.toFixed(2)} (per round: ${ratios.map((r) => r.toFixed(2)).join(', ')})`);
  console.log(`ratio reference design / bare: ${median(referenceRatios).toFixed(2)} (per round: ${referenceRatios.map((r) => r.toFixed(2)).join(', ')})`);
  const cpuRatio = median(runs.bare.map((b) => b.cpuUsPerRequest)) / median(runs.onramp.map((o) => o.cpuUsPerRequest));
  console.log(
    `server CPU per request (median): bare ${median(runs.bare.map((r) => r.cpuUsPerRequest)).toFixed(0)} µs, Onramp ` +
      `${median(runs.onramp.map((r) => r.cpuUsPerRequest)).toFixed(0)} µs, reference ${median(runs.reference.map((r) => r.cpuUsPerRequest)).toFixed(0)} µs ` +
      `(bare / Onramp ${cpuRatio.toFixed(2)}: the throughput ratio when the server's CPU is the only limit)`,
  );
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (other processes share these cores; compare ratios, not absolutes)`,
  );
  const drained = drains.filter((d) => d.events >= 10_000);
  const applied = drained.reduce((n, d) => n + d.events, 0);
  const applySeconds = drained.reduce((n, d) => n + d.seconds, 0);
  console.log(
    `ingest log applied between runs (identity, dedup, report indexes): ${fmt(applied)} events in ${applySeconds.toFixed(1)} s = ` +
      `${fmt(applySeconds > 0 ? applied / applySeconds : 0)} events/s sustained`,
  );
  console.log(`peak RSS: Onramp ${rss.onramp.toFixed(0)} MiB, bare ${rss.bare.toFixed(0)} MiB, reference ${rss.reference.toFixed(0)} MiB`);
  console.log(
    `acknowledged ${fmt(acknowledged)} events, stored ${fmt(stored)} (${fmt(leftInLog)} of them applied from the ingest log after shutdown); non-2xx or errors: ${failures}`,
  );

  const checks = [
    [`ratio ≥ ${TARGET_RATIO}`, ratio >= TARGET_RATIO],
    [`p99 < ${TARGET_P99_MS} ms`, p99 < TARGET_P99_MS],
    [`/batch/ ≥ ${fmt(TARGET_BATCH_EVENTS)} events/s`, batchEvents >= TARGET_BATCH_EVENTS],
    // Requests still in flight when a run's clock stops are stored but never counted as acknowledged.
    ['every acknowledged event stored', stored >= acknowledged && stored - acknowledged <= (ROUNDS + 1) * CONNECTIONS * (1 + BATCH_SIZE)],
    ['no errors', failures === 0],
  ] as const;
  for (const [name, pass] of checks) console.log(`${pass ? 'PASS' : 'MISS'} ${name}`);
  if (process.env.BENCH_STRICT === '1' && checks.some(([, pass]) => !pass)) process.exitCode = 1;
}

await main();
