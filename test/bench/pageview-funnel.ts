/**
 * `tsx test/bench/pageview-funnel.ts`: the `$pageview` funnel report (`$pageview` → `signed_up` → `api_key_created`,
 * last 30 days, flags with their evidence) in process on bench:scale's history, warm-up and warm runs, and the
 * memory of the copy of every failed call; then the last `BENCH_TAIL` (default 20,000) events are applied in chunks of
 * 5,000, each followed by a `$pageview` and a default funnel report (what bringing the copies up to date costs).
 * Sizes: `BENCH_EVENTS` (default 200,000) events from `BENCH_DEVELOPERS` (default events ÷ 100) developers.
 * `BENCH_DB`: a SQLite file of all but the tail to reuse (generated there when missing; each run works on a copy),
 * so two versions of the code can be timed on one database. Run with `node --expose-gc --import tsx` for the memory figure
 * after warm-up.
 */
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFunnelParams } from '../../api/analytics/funnel-params.ts';
import { createReportStore } from '../../api/analytics/report-store.ts';
import { sqliteIngestDatabase } from '../../api/import/database.ts';
import { writeEvents } from '../../api/ingest/store.ts';
import type { NormalizedEvent } from '../../api/ingest/validate.ts';
import { sqliteDatabase } from '../../api/storage/sql/sqlite.ts';
import { openDb } from '../../db/client.ts';
import { createHistory, DAY, END } from './scale/history.ts';
import { PAGEVIEW_STEPS } from './scale/reports.ts';

const events = Number(process.env.BENCH_EVENTS ?? 200_000);
const developers = Number(process.env.BENCH_DEVELOPERS ?? Math.max(10, Math.floor(events / 100)));
const tail = Number(process.env.BENCH_TAIL ?? 20_000);
const dir = mkdtempSync(join(tmpdir(), 'onramp-pvfunnel-'));
const file = process.env.BENCH_DB ?? join(dir, 'bench.db');
const CHUNK = 5_000;
const RUNS = 9;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const ms = (t: number) => `${t.toFixed(1)} ms`;

const history = createHistory(events, developers);
/** The next `n` events of the history. */
const next = (n: number) => Array.from({ length: n }, () => history.nth(made++)[0]);
let made = 0;

/** Writes `n` events of the history through the import's write path, a chunk per transaction. */
async function apply(database: ReturnType<typeof sqliteIngestDatabase>, n: number, each: () => Promise<void> = async () => {}): Promise<void> {
  for (let i = 0; i < n; i += CHUNK) {
    const chunk: NormalizedEvent[] = next(Math.min(CHUNK, n - i));
    await database.withApplyLock((tx) => writeEvents(tx, [chunk]));
    await each();
  }
}

if (existsSync(file)) next(events - tail);
else {
  const db = openDb(file);
  await apply(sqliteIngestDatabase(db.$client), events - tail);

  db.$client.close();
}
const runFile = join(dir, 'run.db');
copyFileSync(file, runFile);
const db = openDb(runFile);
const database = sqliteDatabase(db.$client);
const failed = (db.$client.prepare(`SELECT COUNT(*) AS n FROM events WHERE call_error_code IS NOT NULL`).get() as { n: number }).n;
console.log(`$pageview funnel: ${(events - tail).toLocaleString('en')} events, ${failed.toLocaleString('en')} failed calls, ${file} (load average ${load()})`);

const params = parseFunnelParams({ from: new Date(END - 30 * DAY).toISOString(), to: new Date(END).toISOString(), steps: PAGEVIEW_STEPS.join(',') });
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const before = process.memoryUsage().arrayBuffers;
const store = createReportStore(database);
let t = performance.now();
await store.warm();
console.log(`  warm-up: ${ms(performance.now() - t)}`);
gc?.();
if (gc) console.log(`  typed arrays after warm-up: ${((process.memoryUsage().arrayBuffers - before) / 2 ** 20).toFixed(1)} MiB`);
t = performance.now();
const first = await store.funnel(params);
console.log(`  first report after warm-up: ${ms(performance.now() - t)} (counts ${first.steps.map((s) => s.count).join(' → ')}, ${first.flags.length} flags)`);
const times: number[] = [];
for (let i = 0; i < RUNS; i++) {
  t = performance.now();
  await store.funnel(params);
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
console.log(`  warm: median ${ms(times[RUNS >> 1]!)}, min ${ms(times[0]!)} over ${RUNS} runs (load average ${load()})`);
// The copy of every failed call alone (absent from older versions of the code).
const failedCalls = await import('../../api/analytics/person-state/failed-calls.ts').catch(() => undefined);
if (failedCalls) {
  const copy = failedCalls.createFailedCalls(database);
  t = performance.now();
  await copy.warm();
  const loadMs = performance.now() - t;
  const { calls, bytes } = await copy.size();
  console.log(
    `  failed-call copy: ${calls.toLocaleString('en')} calls loaded in ${ms(loadMs)}, ${(bytes / calls).toFixed(1)} bytes per call (${(bytes / 2 ** 20).toFixed(2)} MiB)`,
  );
}

// The tail, each chunk followed by the two reports: they bring every copy up to date first.
const defaultFunnel = parseFunnelParams({ from: new Date(END - 30 * DAY).toISOString(), to: new Date(END).toISOString() });
const afterChunk: Array<[number, number]> = [];
await apply(sqliteIngestDatabase(db.$client), tail, async () => {
  t = performance.now();
  await store.funnel(params);
  const pageView = performance.now() - t;
  t = performance.now();
  await store.funnel(defaultFunnel);
  afterChunk.push([pageView, performance.now() - t]);
});
const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
if (afterChunk.length > 0) {
  console.log(
    `  after each ${CHUNK.toLocaleString('en')}-event chunk: $pageview funnel median ${ms(median(afterChunk.map((x) => x[0])))}, ` +
      `default funnel median ${ms(median(afterChunk.map((x) => x[1])))} (${afterChunk.length} chunks, load average ${load()})`,
  );
}
db.$client.close();
