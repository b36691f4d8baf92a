/**
 * `npm run bench:apply`: where the time of applying the ingest log goes, on SQLite, for a platform-shaped log (90%
 * `api_call`, 8% `$pageview`, 2% milestones; bench:scale's history) logged as gzip'd 1,000-event `/batch/` requests.
 * In one run it times, in CPU time per event (this process's, so other load on the shared cores sways it less):
 * - the whole apply (the writer's `settle()`, as before a report);
 * - each SQL statement of it, by statement (a timing wrapper around the transaction's `repeated` statements; the
 *   statements rendered from their template each time under one key);
 * - re-validating the logged requests alone (decompress, parse, validate: what any apply of this log must do first);
 * - the rollups' JavaScript alone (aggregation, merge, the upserts' values and sketches; no SQL);
 * - the reference floor for storing a call with uuid deduplication: one prepared INSERT per event into a table with
 *   only a UNIQUE uuid (UUIDv7), 1,000 rows per transaction, no identity, rollups or report indexes.
 * It prints the ceiling those two floors allow (one core), against the 300,000 events/s apply target.
 * `BENCH_EVENTS` (default 200,000) sets the size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { type SQL, sql } from 'drizzle-orm';
import { classifyCall } from '../../api/analytics/api-traffic/call.ts';
import { addCallRollups } from '../../api/analytics/api-traffic/rollup-writes.ts';
import { createLogProcessor } from '../../api/ingest/log-processor.ts';
import { eventsOfLogRow } from '../../api/ingest/raw-log.ts';
import { validateCapture } from '../../api/ingest/validate.ts';
import { createIngestWriter } from '../../api/ingest/writer.ts';
import type { RepeatedStatement, SqlDatabase } from '../../api/storage/sql/interface.ts';
import { sqliteDatabase } from '../../api/storage/sql/sqlite.ts';
import { openDb } from '../../db/client.ts';
import { createHistory } from './scale/history.ts';

const TOKEN = 'phc_bench_apply';
const PER_REQUEST = 1_000;
const TARGET = 300_000;
const events = Number(process.env.BENCH_EVENTS ?? 200_000);
const statementMs = new Map<string, number>();
/** CPU time of this process so far, in ms: timings on a shared machine count what this process spent, not the wait. */
const cpuNow = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};

/** Adds the CPU time since `started` to the statement `key`. */
function charge(key: string, started: number): void {
  statementMs.set(key, (statementMs.get(key) ?? 0) + cpuNow() - started);
}

/**
 * `database` whose transactions time every prepared statement by its key (its shape's size dropped), and every other
 * statement (rendered from its template each time) under one key, rendering included.
 */
function timed(database: SqlDatabase): SqlDatabase {
  const RENDERED = 'other statements, rendered each time';
  const wrap = (tx: SqlDatabase): SqlDatabase => ({
    ...tx,
    async repeated<T extends Record<string, unknown>>(statement: RepeatedStatement, returnsRows: boolean) {
      const started = cpuNow();
      try {
        return await tx.repeated<T>(statement, returnsRows);
      } finally {
        charge(statement.key.split(':')[0]!, started);
      }
    },
    async all<T extends Record<string, unknown>>(query: SQL) {
      const started = cpuNow();
      try {
        return await tx.all<T>(query);
      } finally {
        charge(RENDERED, started);
      }
    },
    async run(query: SQL) {
      const started = cpuNow();
      try {
        return await tx.run(query);
      } finally {
        charge(RENDERED, started);
      }
    },
  });
  return {
    ...database,
    transaction: (fn) => database.transaction((tx) => fn(wrap(tx))),
    transactionWithLock: (key, fn) => database.transactionWithLock(key, (tx) => fn(wrap(tx))),
    tryTransactionWithLock: (key, fn) => database.tryTransactionWithLock(key, (tx) => fn(wrap(tx))),
  };
}

const perEvent = (ms: number) => (ms * 1000) / events;
const row = (label: string, us: number) => console.log(`  ${label.padEnd(52)} ${us.toFixed(2).padStart(7)} µs/event`);

const dir = mkdtempSync(join(tmpdir(), 'onramp-apply-parts-'));
try {
  const history = createHistory(events, Math.max(100, Math.floor(events / 100)));
  const all = Array.from({ length: events }, (_, i) => history.nth(i)[0]);
  const receivedAt = Date.now();
  const requests = [];
  for (let i = 0; i < all.length; i += PER_REQUEST) {
    const batch = all
      .slice(i, i + PER_REQUEST)
      .map((e) => ({ uuid: e.uuid, event: e.event, distinct_id: e.distinctId, timestamp: new Date(e.timestamp).toISOString(), properties: e.properties }));
    const json = JSON.stringify({ api_key: TOKEN, batch });
    const validated = validateCapture(JSON.parse(json), { projectToken: TOKEN, receivedAt });
    const meta = { contentType: 'application/json', contentEncoding: 'gzip', compression: undefined };
    requests.push({ events: validated, raw: { body: gzipSync(json, { level: 1 }), meta, querySentAt: undefined, projectToken: TOKEN } });
  }

  const db = openDb(join(dir, 'apply.db'));
  const database = timed(sqliteDatabase(db.$client));
  const writer = createIngestWriter(createLogProcessor(database), { pollMs: 1e9, maxBacklogEvents: 1e9, maxQueuedEvents: 1e9 });
  for (let i = 0; i < requests.length; i += 10) await Promise.all(requests.slice(i, i + 10).map((r) => writer.write(r.events, r.raw)));
  const logged = db.$client.prepare('SELECT body, capture FROM ingest_log ORDER BY id').all() as Array<{ body: Buffer; capture: string }>;
  statementMs.clear();

  // Re-validating the logged rows alone, twice (the second is the figure: warm code).
  let revalidateMs = 0;
  for (let round = 0; round < 2; round++) {
    const started = cpuNow();
    let n = 0;
    for (const stored of logged) n += eventsOfLogRow(stored).length;
    revalidateMs = cpuNow() - started;
    if (n !== events) throw new Error(`revalidated ${n} events, expected ${events}`);
  }

  const wallStarted = performance.now();
  const started = cpuNow();
  await writer.settle();
  const applyMs = cpuNow() - started;
  const wallMs = performance.now() - wallStarted;
  await writer.close(0);
  const stored = Number(await database.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM events`).then((r) => r?.n));
  if (stored !== events) throw new Error(`stored ${stored} events, expected ${events}`);
  db.$client.close();

  // The rollups' JavaScript alone (aggregating, merging, building the upserts' values and sketches), over the same
  // calls in the chunks the apply used, with no stored rows to merge.
  const calls = all.filter((e) => e.event === 'api_call').map((e) => ({ personId: 1, timestamp: e.timestamp, ...classifyCall(e.properties) }));
  const aggregationStarted = cpuNow();
  for (let i = 0; i < calls.length; i += 4_500) {
    const steps = addCallRollups(calls.slice(i, i + 4_500));
    while (!steps.next([]).done);
  }
  const aggregationMs = cpuNow() - aggregationStarted;

  // The reference floor: store each event with uuid deduplication, nothing else.
  const reference = new Database(join(dir, 'reference.db'));
  reference.pragma('journal_mode = WAL');
  reference.pragma('synchronous = NORMAL');
  reference.exec('CREATE TABLE calls (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, person TEXT, ts INTEGER, properties TEXT)');
  const insert = reference.prepare('INSERT INTO calls (uuid, person, ts, properties) VALUES (?, ?, ?, ?) ON CONFLICT (uuid) DO NOTHING');
  const insertAll = reference.transaction((slice: typeof all) => {
    for (const e of slice) insert.run(e.uuid, e.distinctId, e.timestamp, e.propertiesJson);
  });
  const referenceStarted = cpuNow();
  for (let i = 0; i < all.length; i += 1_000) insertAll(all.slice(i, i + 1_000));
  const referenceMs = cpuNow() - referenceStarted;
  reference.close();

  const statementsMs = [...statementMs.values()].reduce((a, b) => a + b, 0);
  console.log(`bench:apply: ${events.toLocaleString('en-US')} events (load average ${loadavg()[0]!.toFixed(1)})`);
  console.log(
    `  whole apply: ${Math.round(events / (applyMs / 1000)).toLocaleString('en-US')} events per CPU second ` +
      `(${Math.round(events / (wallMs / 1000)).toLocaleString('en-US')} events/s of wall time)`,
  );
  console.log('  CPU time per event:');
  row('whole apply', perEvent(applyMs));
  row('re-validating the logged requests (decompress, parse, check)', perEvent(revalidateMs));
  for (const [key, ms] of [...statementMs].sort((a, b) => b[1] - a[1]).slice(0, 10)) row(`SQL: ${key}`, perEvent(ms));
  row('SQL: all statements', perEvent(statementsMs));
  row('rollups in JavaScript (aggregate, merge, encode)', perEvent(aggregationMs));
  row('everything else (identity, rows, commits, GC)', perEvent(applyMs - revalidateMs - statementsMs - aggregationMs));
  row('reference: bare insert with a UNIQUE uuid', perEvent(referenceMs));
  const floor = perEvent(revalidateMs + referenceMs);
  const ceiling = 1e6 / floor;
  console.log(
    `  floor of any apply that re-reads the log and dedupes each call in SQLite: ${floor.toFixed(2)} µs/event = at most ` +
      `${Math.round(ceiling).toLocaleString('en-US')} events/s on one core; target ${TARGET.toLocaleString('en-US')}: ` +
      `${events / (wallMs / 1000) >= TARGET ? 'met' : 'not met'}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
