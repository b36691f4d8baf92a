/**
 * `npm run bench:scale`: every report on a platform-shaped history, against DuckDB on the same events, and after
 * capture load.
 *
 * 1. Generates `BENCH_EVENTS` events (default 100M) from `BENCH_DEVELOPERS` developers (default events ÷ 100) over
 *    45 days through the import's write path (test/bench/scale/generate.ts), `BENCH_CHUNK` events per transaction
 *    (default 5,000, what the log processor drains at once), and loads the same events into DuckDB; prints the rates.
 * 2. Prints the database's bytes per event.
 * 3. Times every report over the last 30 days on the real server, cold and warm (test/bench/scale/reports.ts).
 * 4. Times the DuckDB equivalents, checks that the counts agree (a difference fails the run) and prints the ratios.
 * 5. Deletes every raw call (as retention would), VACUUMs, prints what calls still take per call (rollups and call
 *    facts) and times API health again.
 * 6. Sends a `BENCH_BURST_SECONDS` (default 10) `/batch/` burst at full speed, then `BENCH_SUSTAINED_SECONDS`
 *    (default 30) at `BENCH_SUSTAINED_RATE` events/s (default 20,000), each followed by a report
 *    (test/bench/scale/burst.ts); 0 seconds skips a load.
 * 7. Prints every target with its verdict.
 *
 * `BENCH_PHASES` (comma-separated `reports`, `retention`, `load`; default all) runs only some of steps 3–6: a kept
 * history's capture loads can be measured apart from its reports, and the retention step (hours at 100M events) left
 * out. Targets are judged on what was measured.
 *
 * With `BENCH_DIR`, the run works in that directory and keeps it: a later run with the same `BENCH_DIR` skips step 1
 * and times the history already there (generating 100M events takes hours). Step 5 deletes raw calls, so a directory
 * a run got past step 4 in is refused; generate again into an empty one.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { minuteFloorFor, retireMinuteRollups } from '../../api/analytics/api-traffic/minute-rollups.ts';
import { deleteOldCalls } from '../../api/analytics/api-traffic/retention.ts';
import { sqliteDatabase } from '../../api/storage/sql/sqlite.ts';
import { openDb } from '../../db/client.ts';
import { callBytesBreakdown } from './call-bytes.ts';
import { captureLoad, type LoadResult } from './scale/burst.ts';
import { compareWithDuck } from './scale/compare.ts';
import { openDuckReference } from './scale/duckdb.ts';
import { type Generated, generateInto } from './scale/generate.ts';
import { DAY, END } from './scale/history.ts';
import { peakRssMiB } from './scale/measure.ts';
import { getReport, REPORTS, serverOn, timeReports } from './scale/reports.ts';
import { type Verdict, verdicts } from './scale/targets.ts';

/** The sizes of one run: events, developers, events per transaction, and the capture loads (seconds 0 skips one). */
export interface ScaleOptions {
  events: number;
  developers: number;
  chunk: number;
  burstSeconds: number;
  sustainedSeconds: number;
  sustainedRate: number;
  senders: number;
  /** A directory to work in and keep (`BENCH_DIR`); without it, a temporary one deleted at the end. */
  dir?: string;
  /** Which of the reports (3–4), the retention step (5) and the capture loads (6) run (`BENCH_PHASES`). */
  phases: ReadonlySet<Phase>;
}

/** The optional steps of a run. */
export type Phase = 'reports' | 'retention' | 'load';
const PHASES: readonly Phase[] = ['reports', 'retention', 'load'];

function parsePhases(text: string | undefined): ReadonlySet<Phase> {
  if (!text) return new Set(PHASES);
  const phases = text.split(',').map((p) => p.trim());
  const unknown = phases.filter((p) => !PHASES.includes(p as Phase));
  if (unknown.length > 0) throw new Error(`BENCH_PHASES: ${unknown.join(', ')} is not one of ${PHASES.join(', ')}`);
  return new Set(phases as Phase[]);
}

/** Options from the environment (see the module comment). */
export function scaleOptions(env: NodeJS.ProcessEnv = process.env): ScaleOptions {
  const events = Number(env.BENCH_EVENTS ?? 100_000_000);
  if (!Number.isInteger(events) || events < 1_000) throw new Error('BENCH_EVENTS: a whole number of events, at least 1,000');
  return {
    events,
    developers: Number(env.BENCH_DEVELOPERS ?? Math.max(10, Math.floor(events / 100))),
    chunk: Number(env.BENCH_CHUNK ?? 5_000),
    burstSeconds: Number(env.BENCH_BURST_SECONDS ?? 10),
    sustainedSeconds: Number(env.BENCH_SUSTAINED_SECONDS ?? 30),
    sustainedRate: Number(env.BENCH_SUSTAINED_RATE ?? 20_000),
    senders: Number(env.BENCH_SENDERS ?? 4),
    dir: env.BENCH_DIR || undefined,
    phases: parsePhases(env.BENCH_PHASES),
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** Where a kept directory records its finished history, and that its raw calls were deleted. */
const GENERATED = 'generated.json';
const PAST_RETENTION = 'past-retention';

/** A kept history: what was generated, and the events earlier capture loads added to it (dated after its range). */
type KeptHistory = Generated & { loadedEvents: number };

/** The history a kept directory already holds, or null; refuses one whose raw calls were deleted, or another size. */
function keptHistory(dir: string, o: ScaleOptions): KeptHistory | null {
  if (existsSync(join(dir, PAST_RETENTION))) {
    throw new Error(`BENCH_DIR ${dir}: its raw calls were deleted by an earlier run; empty it to generate again`);
  }
  if (!existsSync(join(dir, GENERATED))) return null;
  const kept = JSON.parse(readFileSync(join(dir, GENERATED), 'utf8')) as Omit<Generated, 'counts'> & {
    counts: [string, number][];
    developers: number;
    loadedEvents?: number;
  };
  if (kept.events !== o.events || kept.developers !== o.developers) {
    throw new Error(`BENCH_DIR ${dir} holds ${kept.events} events from ${kept.developers} developers, not ${o.events} from ${o.developers}`);
  }
  return { ...kept, counts: new Map(kept.counts), loadedEvents: kept.loadedEvents ?? 0 };
}

/**
 * Adds a run's capture loads to a kept directory's record: they stay in its database, so a later run starts from a
 * larger one (a slower apply, more bytes), and says so.
 */
function recordLoads(dir: string, events: number): void {
  const record = JSON.parse(readFileSync(join(dir, GENERATED), 'utf8')) as { loadedEvents?: number };
  writeFileSync(join(dir, GENERATED), JSON.stringify({ ...record, loadedEvents: (record.loadedEvents ?? 0) + events }));
}

/** Report timings of one server per report, and their peak RSS. */
type Timed = Awaited<ReturnType<typeof timeReports>>;

/**
 * Step 5: deletes every raw call (as retention would) and the minute rollups past their default retention, VACUUMs,
 * prints what calls still take per call, and times API health again.
 */
async function pastRetention(file: string, calls: number, range: { from: number; to: number }, log: (line: string) => void) {
  const sqlite = openDb(file).$client;
  const database = sqliteDatabase(sqlite);
  const deleted = await deleteOldCalls(database, END + 1, { pauseMs: 0 });
  // Minute rollups past their default retention (ONRAMP_API_CALL_MINUTE_DAYS, 7) go too: hours and days remain.
  await retireMinuteRollups(database, minuteFloorFor(7, END)!, { now: END, pauseMs: 0 });
  sqlite.exec('VACUUM');
  // What calls still cost once their raw rows are gone: the rollups and the per-person call facts, indexes included.
  const { bytes: callBytes, lines: callLines } = callBytesBreakdown(sqlite, Math.max(1, calls));
  sqlite.close();
  const pastBytes = statSync(file).size;
  const bytesPerCall = calls > 0 ? callBytes / calls : 0;
  log(
    `past retention (${fmt(deleted)} raw calls deleted, VACUUM): database ${(pastBytes / 1e6).toFixed(1)} MB; rollups and call facts ` +
      `${(callBytes / 1e6).toFixed(1)} MB = ${bytesPerCall.toFixed(1)} bytes per call`,
  );
  for (const line of callLines) log(`  ${line}`);
  const timed = await timeReports(
    file,
    range,
    REPORTS.filter((r) => r.name.startsWith('api-health')),
    log,
  );
  return { ...timed, bytesPerCall };
}

/** Runs the whole benchmark; resolves to the verdicts. Throws when Onramp and DuckDB disagree on a count. */
export async function runScaleBench(o: ScaleOptions, log: (line: string) => void = console.log): Promise<Verdict[]> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'onramp-scale-'));
  if (o.dir) mkdirSync(dir, { recursive: true });
  const file = join(dir, 'scale.db');
  const range = { from: END - 30 * DAY, to: END };
  const kept = o.dir ? keptHistory(dir, o) : null;
  const duck = await openDuckReference(dir, { reuse: kept !== null });
  try {
    log(`bench:scale: ${fmt(o.events)} events, ${fmt(o.developers)} developers, SQLite at ${file} (load average ${load()})`);
    if (kept) log('  the history was generated by an earlier run into BENCH_DIR; its figures follow');
    const loaded = kept?.loadedEvents ?? 0;
    if (loaded > 0) log(`  earlier runs' capture loads added ${fmt(loaded)} events to it (after the reports' range)`);
    const gen = kept ?? (await generateInto(file, duck, { events: o.events, developers: o.developers, chunk: o.chunk, log }));
    if (o.dir && !kept) writeFileSync(join(dir, GENERATED), JSON.stringify({ ...gen, developers: o.developers, counts: [...gen.counts] }));
    const mix = [...gen.counts].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${((100 * n) / o.events).toFixed(1)}%`);
    log(`  mix: ${mix.join(', ')}`);
    log(
      `  apply (import path, ${fmt(o.chunk)} events per transaction): ${fmt(o.events / gen.applySeconds)} events/s (${gen.applySeconds.toFixed(1)} s); ` +
        `making the events ${gen.makeSeconds.toFixed(1)} s, DuckDB load ${gen.duckSeconds.toFixed(1)} s`,
    );
    const bytes = statSync(file).size;
    log(`  database: ${(bytes / 1e6).toFixed(1)} MB = ${(bytes / (o.events + loaded)).toFixed(0)} bytes per event`);

    let timed: Timed = { timings: [], peakRssMb: 0 };
    let duckMs = new Map<string, number>();
    if (o.phases.has('reports')) {
      log(`reports over the last 30 days, real server, cold = first request after a start, warm = median of 3 (load average ${load()}):`);
      timed = await timeReports(file, range, REPORTS, log);
      duckMs = await compareWithDuck(await duck.finish(), timed.timings, range, log);
    }

    let past: Timed & { bytesPerCall?: number } = { timings: [], peakRssMb: 0 };
    if (o.phases.has('retention')) {
      if (o.dir) writeFileSync(join(dir, PAST_RETENTION), '');
      past = await pastRetention(file, gen.counts.get('api_call') ?? 0, range, log);
    }

    const loads: LoadResult[] = [];
    let loadRss = 0;
    if (o.phases.has('load') && (o.burstSeconds > 0 || o.sustainedSeconds > 0)) {
      const server = await serverOn(file);
      try {
        // A running server: its first report waits for the per-developer state's load, which the loads must not share.
        const warmStart = performance.now();
        await getReport(server, REPORTS[0]!, range);
        log(`capture loads on a warm server (its first report took ${((performance.now() - warmStart) / 1000).toFixed(1)} s)`);
        if (o.burstSeconds > 0) {
          log(`capture: ${o.burstSeconds} s /batch/ burst at full speed, ${o.senders} senders (load average ${load()})`);
          loads.push(
            await captureLoad(server, { label: 'the burst', seconds: o.burstSeconds, senders: o.senders, poolEvents: 100_000 * o.burstSeconds, range }),
          );
        }
        if (o.sustainedSeconds > 0) {
          log(`capture: ${o.sustainedSeconds} s at ${fmt(o.sustainedRate)} events/s (load average ${load()})`);
          const poolEvents = o.sustainedRate * o.sustainedSeconds;
          loads.push(
            await captureLoad(server, {
              label: 'sustained load',
              seconds: o.sustainedSeconds,
              senders: o.senders,
              poolEvents,
              eventsPerSecond: o.sustainedRate,
              range,
            }),
          );
        }
        loadRss = peakRssMiB(server.child.pid!);
      } finally {
        await server.stop();
      }
      if (o.dir)
        recordLoads(
          dir,
          loads.reduce((n, l) => n + l.acknowledgedEvents, 0),
        );
      for (const l of loads) {
        log(
          `  ${l.label}: ${fmt(l.eventsPerSecond)} events/s acknowledged (p99 ${l.p99Ms} ms, ${l.failed} failed); backlog at its end ` +
            `${fmt(l.backlogEvents)} events; first report ${(l.reportAfterMs / 1000).toFixed(2)} s after its end`,
        );
      }
    }
    const peak = Math.max(timed.peakRssMb, past.peakRssMb, loadRss);
    log(`server peak RSS: ${fmt(peak)} MB (reports ${fmt(timed.peakRssMb)} MB, capture load ${fmt(loadRss)} MB)`);
    // API health is judged past retention when this run measured it there, else with raw calls kept.
    const health = past.timings.length > 0 ? past.timings : timed.timings.filter((t) => t.name.startsWith('api-health'));
    const results = verdicts({
      reports: [...timed.timings.filter((t) => !t.name.startsWith('api-health')), ...health],
      duckMs,
      bytesPerCallPastRetention: past.bytesPerCall,
      peakRssMb: peak,
      loads,
    });
    log(`targets (API health judged ${past.timings.length > 0 ? 'past retention' : 'with raw calls kept'}; load average ${load()}):`);
    for (const v of results) log(`  ${v.met ? 'met    ' : 'NOT MET'} ${v.target}: ${v.measured}`);
    return results;
  } finally {
    duck.close();
    if (!o.dir) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runScaleBench(scaleOptions());
