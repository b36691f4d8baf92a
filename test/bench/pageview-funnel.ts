/**
 * `tsx test/bench/pageview-funnel.ts`: the `$pageview` funnel report (`$pageview` → `signed_up` → `api_key_created`,
 * last 30 days, flags with their evidence) in process on bench:scale's history, warm-up and warm runs, and the
 * memory of the copy of every failed call. Sizes: `BENCH_EVENTS` (default 200,000) events from `BENCH_DEVELOPERS`
 * (default events ÷ 100) developers. `BENCH_DB`: a SQLite file to reuse (generated there when missing), so two
 * versions of the code can be timed on one database. Run with `node --expose-gc --import tsx` for the memory figure
 * after warm-up.
 */
import { existsSync, mkdtempSync } from 'node:fs';
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
const file = process.env.BENCH_DB ?? join(mkdtempSync(join(tmpdir(), 'onramp-pvfunnel-')), 'bench.db');
const RUNS = 9;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const ms = (t: number) => `${t.toFixed(1)} ms`;

/** Writes the history into `file` through the import's write path. */
async function generate(): Promise<void> {
  const db = openDb(file);
  const ingest = sqliteIngestDatabase(db.$client);
  const history = createHistory(events, developers);
  for (let i = 0; i < events; i += 5_000) {
    const chunk: NormalizedEvent[] = [];
    for (let j = i; j < Math.min(events, i + 5_000); j++) chunk.push(history.nth(j)[0]);
    await ingest.withApplyLock((tx) => writeEvents(tx, [chunk]));
  }
  db.$client.close();
}

if (!existsSync(file)) await generate();
const db = openDb(file);
const database = sqliteDatabase(db.$client);
const failed = Number(db.$client.prepare(`SELECT COUNT(*) AS n FROM events WHERE call_error_code IS NOT NULL`).get()!.n);
console.log(`$pageview funnel: ${events.toLocaleString('en')} events, ${failed.toLocaleString('en')} failed calls, ${file} (load average ${load()})`);

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
