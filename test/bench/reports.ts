/**
 * `npm run bench`: report timings over synthetic data, against a naive SQL baseline measured in the same run.
 *
 * For each size (default 1M and 5M events, about 200k persons) it generates events into a temp SQLite file
 * through the migrated schema, then times every report warm (one untimed run, then the median of BENCH_RUNS),
 * and the naive funnel: a per-person self-join in plain SQL. It prints the ratios and peak memory.
 *
 * Env: BENCH_EVENTS (comma-separated sizes, e.g. `20000` for a smoke run), BENCH_PERSONS (default 200000, capped
 * at events / 5), BENCH_RUNS (default 3), BENCH_KEEP=1 keeps the temp databases.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Database } from 'better-sqlite3';
import { rebuildCallTrafficIfMissing } from '../../api/analytics/api-traffic/rebuild.ts';
import { parseFunnelParams } from '../../api/analytics/funnel-params.ts';
import { funnelReport } from '../../api/analytics/funnel-report.ts';
import { runFunnelPeriods } from '../../api/analytics/funnel-run.ts';
import { DEFAULT_STEPS, parseRangeParams, parseTtfsiParams } from '../../api/analytics/params.ts';
import { rebuildPersonStateIfMissing } from '../../api/analytics/person-state/rebuild.ts';
import { createReportStore } from '../../api/analytics/report-store.ts';
import { ttfsiReport } from '../../api/analytics/ttfsi-report.ts';
import { sqliteIngestDatabase } from '../../api/import/database.ts';
import { sqliteDatabase } from '../../api/storage/sql/sqlite.ts';
import { openDb } from '../../db/client.ts';
import { generateEvents } from './generate-events.ts';

const DAY = 86_400_000;
const TARGET_SECONDS = 2;
const TARGET_MB = 500;

export interface BenchTiming {
  name: string;
  medianMs: number;
  runsMs: number[];
  summary: string;
}

export interface BenchSizeResult extends ReportTimings {
  events: number;
  persons: number;
  generateSeconds: number;
}

/** The naive baseline: signup → key → first 2xx call as a per-person self-join, counting distinct persons. */
export function naiveFunnel(sqlite: Database, from: number, to: number, windowMs: number) {
  return sqlite
    .prepare<{ from: number; to: number; window: number }, { step1: number; step2: number; step3: number }>(
      `SELECT COUNT(DISTINCT s1.person_id) AS step1, COUNT(DISTINCT s2.person_id) AS step2, COUNT(DISTINCT s3.person_id) AS step3
       FROM events s1
       LEFT JOIN events s2 ON s2.person_id = s1.person_id AND s2.event = 'api_key_created'
         AND s2.timestamp >= s1.timestamp AND s2.timestamp <= s1.timestamp + @window AND s2.timestamp <= @to
       LEFT JOIN events s3 ON s3.person_id = s2.person_id AND s3.event = 'api_call'
         AND json_extract(s3.properties, '$.status') BETWEEN 200 AND 299
         AND s3.timestamp >= s2.timestamp AND s3.timestamp <= s1.timestamp + @window AND s3.timestamp <= @to
         AND NOT EXISTS (SELECT 1 FROM events p WHERE p.person_id = s3.person_id AND p.event = 'api_call'
                         AND json_extract(p.properties, '$.status') BETWEEN 200 AND 299 AND p.timestamp < s3.timestamp)
       WHERE s1.event = 'signed_up' AND s1.timestamp BETWEEN @from AND @to`,
    )
    .get({ from, to, window: windowMs })!;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const maxRssMb = () => process.resourceUsage().maxRSS / 1024;

export interface ReportTimings {
  timings: BenchTiming[];
  naiveRatio: number;
  /** Peak RSS of the process timing the reports, after the funnel and TTFSI runs (the target's scope). */
  targetPeakRssMb: number;
  /** Peak RSS of that process after every report. */
  peakRssMb: number;
}

/** Times every report on an existing benchmark database (generated with `end`). */
export async function timeReports(file: string, end: number, runs: number, log: (line: string) => void = console.log): Promise<ReportTimings> {
  const sqlite = openDb(file).$client;
  const database = sqliteDatabase(sqlite);
  // The generator writes `events` directly, past the ingest store: build the rollups, call facts and per-person
  // state it would have.
  await rebuildCallTrafficIfMissing(database);
  await rebuildPersonStateIfMissing(sqliteIngestDatabase(sqlite));
  const reports = createReportStore(database);
  const query = { from: String(end - 30 * DAY), to: String(end) };
  const time = async (name: string, fn: () => Promise<string>, times = runs): Promise<BenchTiming> => {
    let summary = await fn(); // warm-up
    const runsMs: number[] = [];
    for (let i = 0; i < times; i++) {
      const t = performance.now();
      summary = await fn();
      runsMs.push(performance.now() - t);
    }
    const timing = { name, medianMs: median(runsMs), runsMs, summary };
    log(`  ${name.padEnd(28)} ${timing.medianMs.toFixed(0).padStart(7)} ms   ${summary}`);
    return timing;
  };
  const funnel = (extra: Record<string, string>) => async () => {
    const r = await reports.funnel(parseFunnelParams({ ...query, ...extra }));
    return `counts ${r.steps.map((s) => s.count).join(' → ')}; flags ${r.flags.map((f) => `${f.kind}@${f.step}`).join(', ') || 'none'}`;
  };
  // The first report loads the per-person state into memory: timed once, before every warm run.
  const coldStarted = performance.now();
  const coldSummary = await funnel({})();
  const cold: BenchTiming = { name: 'funnel (default), cold', medianMs: performance.now() - coldStarted, runsMs: [], summary: coldSummary };
  cold.runsMs.push(cold.medianMs);
  log(`  ${cold.name.padEnd(28)} ${cold.medianMs.toFixed(0).padStart(7)} ms   ${cold.summary}; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
  const timings = [
    await time('funnel (default, ordered)', funnel({})),
    await time('  core pass only (no flags)', async () => {
      const [r] = await runFunnelPeriods(
        database,
        {
          steps: [...DEFAULT_STEPS],
          window: '14d',
          windowMs: 14 * DAY,
          order: 'ordered',
          breakdown: undefined,
          minConversion: 0.25,
          from: end - 30 * DAY,
          to: end,
        },
        [],
      );
      return `counts ${r!.total.reached.join(' → ')}`;
    }),
    await time('ttfsi', async () => {
      const r = await reports.ttfsi(parseTtfsiParams(query));
      return `completed ${r.completed}, in progress ${r.inProgress}, p50 ${Math.round(r.percentiles.p50 ?? 0)} s`;
    }),
  ];
  const targetPeakRssMb = maxRssMb();
  timings.push(
    cold,
    // The same two reports from raw events, as before the per-person state: what the state saves.
    await time('funnel (default), raw events', async () => {
      const r = await funnelReport(database, parseFunnelParams(query));
      return `counts ${r.steps.map((s) => s.count).join(' → ')}`;
    }),
    await time('ttfsi, raw events', async () => {
      const r = await ttfsiReport(database, parseTtfsiParams(query));
      return `completed ${r.completed}, in progress ${r.inProgress}`;
    }),
    await time('funnel strict', funnel({ order: 'strict' })),
    await time('funnel any order', funnel({ order: 'any' })),
    await time('funnel breakdown utm_source', funnel({ steps: '$pageview,signed_up,api_key_created,first_successful_call', breakdown: 'utm_source' })),
    await time('docs', async () => `${(await reports.docs(parseRangeParams(query))).pages.length} pages`),
    await time('api-health', async () => `${(await reports.apiHealth(parseRangeParams(query))).overall.calls} calls`),
  );
  // The naive query can take long at 5M: one warm-up and one timed run are enough to make the point.
  const naive = await time(
    'naive self-join funnel',
    async () => {
      const r = naiveFunnel(sqlite, end - 30 * DAY, end, 14 * DAY);
      return `counts ${r.step1} → ${r.step2} → ${r.step3}`;
    },
    1,
  );
  timings.push(naive);
  sqlite.close();
  const naiveRatio = naive.medianMs / timings[0]!.medianMs;
  const coreRatio = naive.medianMs / timings[1]!.medianMs;
  const peakRssMb = maxRssMb();
  log(
    `  naive ÷ onramp: ${naiveRatio.toFixed(1)}× against the full funnel report (two periods, flags, evidence), ${coreRatio.toFixed(1)}× against the same single-period pass`,
  );
  log(`  peak RSS of the report process: ${targetPeakRssMb.toFixed(0)} MB after funnel + TTFSI, ${peakRssMb.toFixed(0)} MB after all reports`);
  return { timings, naiveRatio, targetPeakRssMb, peakRssMb };
}

const RESULT_PREFIX = 'BENCH_RESULT ';
const thisFile = fileURLToPath(import.meta.url);

/**
 * Generates one dataset, then times the reports. With `isolate` (the CLI) the reports run in a fresh Node process
 * so its peak RSS is the reports' own, not the generator's (index builds sort in memory).
 */
export async function benchSize(opts: {
  events: number;
  persons: number;
  runs: number;
  dir: string;
  isolate?: boolean;
  log?: (line: string) => void;
}): Promise<BenchSizeResult> {
  const log = opts.log ?? console.log;
  const file = join(opts.dir, `reports-${opts.events}.db`);
  const end = Date.UTC(2026, 2, 1);
  const db = openDb(file);
  const gen = generateEvents(db.$client, { events: opts.events, persons: opts.persons, end });
  db.$client.close();
  log(
    `  generated ${gen.events.toLocaleString('en')} events, ${gen.persons.toLocaleString('en')} persons in ${gen.seconds.toFixed(1)} s (${Math.round(gen.events / gen.seconds).toLocaleString('en')} events/s)`,
  );
  let result: ReportTimings;
  if (opts.isolate) {
    const child = spawnSync(process.execPath, [...process.execArgv, thisFile], {
      env: { ...process.env, BENCH_CHILD_DB: file, BENCH_CHILD_END: String(end), BENCH_RUNS: String(opts.runs) },
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    const lines = child.stdout.split('\n').filter(Boolean);
    for (const line of lines) if (!line.startsWith(RESULT_PREFIX)) log(line);
    const json = lines.find((l) => l.startsWith(RESULT_PREFIX));
    if (child.status !== 0 || !json) throw new Error(`bench: report process failed (exit ${child.status})`);
    result = JSON.parse(json.slice(RESULT_PREFIX.length)) as ReportTimings;
  } else {
    result = await timeReports(file, end, opts.runs, log);
  }
  if (!process.env.BENCH_KEEP) for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  return { events: gen.events, persons: gen.persons, generateSeconds: gen.seconds, ...result };
}

/** Runs every size from BENCH_EVENTS and prints the verdict against the 2 s / 500 MB target. */
export async function runReportsBench(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = console.log): Promise<BenchSizeResult[]> {
  const sizes = (env.BENCH_EVENTS ?? '1000000,5000000').split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 100)) throw new Error('BENCH_EVENTS: comma-separated event counts, each ≥ 100');
  const runs = Number(env.BENCH_RUNS ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'onramp-bench-'));
  const results: BenchSizeResult[] = [];
  try {
    for (const events of sizes) {
      const persons = Math.min(Number(env.BENCH_PERSONS ?? 200_000), Math.floor(events / 5));
      log(`\n${events.toLocaleString('en')} events:`);
      results.push(await benchSize({ events, persons, runs, dir, log, isolate: true }));
    }
  } finally {
    if (!env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }
  log(`\npeak RSS of the generating process (index builds included): ${maxRssMb().toFixed(0)} MB`);
  for (const r of results) {
    const f = r.timings.find((t) => t.name.startsWith('funnel (default'))!;
    const t = r.timings.find((x) => x.name === 'ttfsi')!;
    const ok = f.medianMs < TARGET_SECONDS * 1000 && t.medianMs < TARGET_SECONDS * 1000 && r.targetPeakRssMb < TARGET_MB;
    log(
      `${r.events.toLocaleString('en')} events: funnel ${f.medianMs.toFixed(0)} ms, ttfsi ${t.medianMs.toFixed(0)} ms, peak ${r.targetPeakRssMb.toFixed(0)} MB, naive ÷ onramp ${r.naiveRatio.toFixed(1)}× — target (< ${TARGET_SECONDS} s, < ${TARGET_MB} MB): ${ok ? 'met' : 'MISSED'}`,
    );
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.env.BENCH_CHILD_DB) {
    const result = await timeReports(process.env.BENCH_CHILD_DB, Number(process.env.BENCH_CHILD_END), Number(process.env.BENCH_RUNS ?? 3));
    console.log(RESULT_PREFIX + JSON.stringify(result));
  } else await runReportsBench();
}
