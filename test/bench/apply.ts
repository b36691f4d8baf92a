/**
 * In-process benchmark of applying events to `events` on SQLite: the demo history (page views, identifies, `$set`s,
 * API calls) stored through the ingest store in chunks of 500 events, one transaction each, as the log processor
 * applies them, into a fresh file database (WAL, as the server opens it). Prints events per second and CPU time.
 * Run it in two checkouts alternately for an A/B comparison. `BENCH_DEVELOPERS` sets the history's size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemoEvents } from '../../api/demo/seed.ts';
import { openDb } from '../../db/client.ts';
import { createEventStore } from '../support/sync-event-store.ts';

const CHUNK = 500;
const developers = Number(process.env.BENCH_DEVELOPERS ?? 3000);
const dir = mkdtempSync(join(tmpdir(), 'onramp-apply-bench-'));
try {
  const db = openDb(join(dir, 'bench.db'));
  // Events in time order, as capture would see them, and without the demo's person-per-developer shortcut.
  const { events } = generateDemoEvents({ developers, now: Date.UTC(2026, 0, 1) });
  events.sort((a, b) => a.timestamp - b.timestamp);
  const store = createEventStore(db.$client);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < events.length; i += CHUNK) store.writeBatches([events.slice(i, i + CHUNK)]);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const persons = db.$client.prepare('SELECT count(*) FROM persons').pluck().get();
  console.log(
    `apply: ${events.length} events (${persons} persons) in ${seconds.toFixed(2)} s = ${Math.round(events.length / seconds)} events/s, CPU ${((used.user + used.system) / 1e6).toFixed(2)} s`,
  );
  db.$client.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
