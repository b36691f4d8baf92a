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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Database } from 'better-sqlite3';
import { openDb } from '../../db/client.ts';
import { shapeApiHealth } from '../../api/analytics/api-health.ts';
import { loadApiHealthData } from '../../api/analytics/api-health-query.ts';
import { shapeDocs } from '../../api/analytics/docs.ts';
import { loadDocsData } from '../../api/analytics/docs-query.ts';
import { funnelReport } from '../../api/analytics/funnel-report.ts';
import { DEFAULT_STEPS, parseFunnelParams, parseTtfsiParams, parseRangeParams } from '../../api/analytics/params.ts';
import { runFunnel } from '../../api/analytics/funnel-query.ts';
import { createTtfsiCollector } from '../../api/analytics/ttfsi.ts';
import { streamTtfsi } from '../../api/analytics/ttfsi-query.ts';
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

export interface BenchSizeResult {
  events: number;
  persons: number;
  generateSeconds: number;
  timings: BenchTiming[];
  naiveRatio: number;
  peakRssMb: number;
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

const rssMb = () => process.memoryUsage().rss / 1024 / 1024;

/** Generates one dataset and times every report on it. */
export function benchSize(opts: { events: number; persons: number; runs: number; dir: string; log?: (line: string) => void }): BenchSizeResult {
  const log = opts.log ?? console.log;
  const file = join(opts.dir, `reports-${opts.events}.db`);
  const db = openDb(file);
  const sqlite = db.$client;
  const end = Date.UTC(2026, 2, 1);
  const gen = generateEvents(sqlite, { events: opts.events, persons: opts.persons, end });
  log(`  generated ${gen.events.toLocaleString('en')} events, ${gen.persons.toLocaleString('en')} persons in ${gen.seconds.toFixed(1)} s (${Math.round(gen.events / gen.seconds).toLocaleString('en')} events/s)`);

  const query = { from: String(end - 30 * DAY), to: String(end) };
  let peak = rssMb();
  const time = (name: string, fn: () => string, runs = opts.runs): BenchTiming => {
    let summary = fn(); // warm-up
    const runsMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      summary = fn();
      runsMs.push(performance.now() - t);
      peak = Math.max(peak, rssMb());
    }
    const timing = { name, medianMs: median(runsMs), runsMs, summary };
    log(`  ${name.padEnd(28)} ${timing.medianMs.toFixed(0).padStart(7)} ms   ${summary}`);
    return timing;
  };

  const funnel = (extra: Record<string, string>) => () => {
    const r = funnelReport(sqlite, parseFunnelParams({ ...query, ...extra }));
    return `counts ${r.steps.map((s) => s.count).join(' → ')}; flags ${r.flags.map((f) => `${f.kind}@${f.step}`).join(', ') || 'none'}`;
  };
  const timings = [
    time('funnel (default, ordered)', funnel({})),
    time('  core pass only (no flags)', () => {
      const r = runFunnel(sqlite, { steps: [...DEFAULT_STEPS], windowMs: 14 * DAY, order: 'ordered', from: end - 30 * DAY, to: end });
      return `counts ${r.total.reached.join(' → ')}`;
    }),
    time('funnel strict', funnel({ order: 'strict' })),
    time('funnel any order', funnel({ order: 'any' })),
    time('funnel breakdown utm_source', funnel({ steps: '$pageview,signed_up,api_key_created,first_successful_call', breakdown: 'utm_source' })),
    time('ttfsi', () => {
      const p = parseTtfsiParams(query);
      const c = createTtfsiCollector(p.to);
      streamTtfsi(sqlite, p, c.add);
      const r = c.result();
      return `completed ${r.completed}, in progress ${r.inProgress}, p50 ${Math.round(r.percentiles.p50 ?? 0)} s`;
    }),
    time('docs', () => `${shapeDocs(loadDocsData(sqlite, parseRangeParams(query))).pages.length} pages`),
    time('api-health', () => `${shapeApiHealth(loadApiHealthData(sqlite, parseRangeParams(query))).overall.calls} calls`),
  ];
  // The naive query can take long at 5M: one warm-up and one timed run are enough to make the point.
  const naive = time(
    'naive self-join funnel',
    () => {
      const r = naiveFunnel(sqlite, end - 30 * DAY, end, 14 * DAY);
      return `counts ${r.step1} → ${r.step2} → ${r.step3}`;
    },
    1,
  );
  timings.push(naive);
  const naiveRatio = naive.medianMs / timings[0]!.medianMs;
  const coreRatio = naive.medianMs / timings[1]!.medianMs;
  log(
    `  naive ÷ onramp: ${naiveRatio.toFixed(1)}× against the full funnel report (two periods, flags, evidence), ${coreRatio.toFixed(1)}× against the same single-period pass; peak RSS during reports: ${peak.toFixed(0)} MB`,
  );
  sqlite.close();
  if (!process.env.BENCH_KEEP) for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  return { events: gen.events, persons: gen.persons, generateSeconds: gen.seconds, timings, naiveRatio, peakRssMb: peak };
}

/** Runs every size from BENCH_EVENTS and prints the verdict against the 2 s / 500 MB target. */
export function runReportsBench(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = console.log): BenchSizeResult[] {
  const sizes = (env.BENCH_EVENTS ?? '1000000,5000000').split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 100)) throw new Error('BENCH_EVENTS: comma-separated event counts, each ≥ 100');
  const runs = Number(env.BENCH_RUNS ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'onramp-bench-'));
  const results: BenchSizeResult[] = [];
  try {
    for (const events of sizes) {
      const persons = Math.min(Number(env.BENCH_PERSONS ?? 200_000), Math.floor(events / 5));
      log(`\n${events.toLocaleString('en')} events:`);
      results.push(benchSize({ events, persons, runs, dir, log }));
    }
  } finally {
    if (!env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  log(`\npeak RSS of the whole run (generation included): ${maxRssMb.toFixed(0)} MB`);
  for (const r of results) {
    const f = r.timings.find((t) => t.name.startsWith('funnel (default'))!;
    const t = r.timings.find((x) => x.name === 'ttfsi')!;
    const ok = f.medianMs < TARGET_SECONDS * 1000 && t.medianMs < TARGET_SECONDS * 1000 && r.peakRssMb < TARGET_MB;
    log(
      `${r.events.toLocaleString('en')} events: funnel ${f.medianMs.toFixed(0)} ms, ttfsi ${t.medianMs.toFixed(0)} ms, peak ${r.peakRssMb.toFixed(0)} MB, naive ÷ onramp ${r.naiveRatio.toFixed(1)}× — target (< ${TARGET_SECONDS} s, < ${TARGET_MB} MB): ${ok ? 'met' : 'MISSED'}`,
    );
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) runReportsBench();
