/**
 * In-process benchmark of applying the ingest log on SQLite: the demo history, in time order, logged as 50-event JSON
 * requests through the logged writer, then applied by `settle()` into a fresh file database (WAL, as the server
 * opens it). Prints events per second and CPU time of the apply alone. Run it in two checkouts alternately for an
 * A/B comparison. `BENCH_DEVELOPERS` sets the history's size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemoEvents } from '../../api/demo/seed.ts';
import type { RawCapture } from '../../api/ingest/raw-log.ts';
import { type NormalizedEvent, validateCapture } from '../../api/ingest/validate.ts';
import { createEventWriter } from '../../api/ingest/writer.ts';
import { sqliteDatabase } from '../../api/storage/sql/sqlite.ts';
import { openDb } from '../../db/client.ts';

const TOKEN = 'phc_bench';
const META = { contentType: 'application/json', contentEncoding: undefined, compression: undefined };
const developers = Number(process.env.BENCH_DEVELOPERS ?? 3000);
const dir = mkdtempSync(join(tmpdir(), 'onramp-apply-log-bench-'));
try {
  const db = openDb(join(dir, 'bench.db'));
  const writer = createEventWriter(sqliteDatabase(db.$client), { logged: true, pollMs: 1e9, maxBacklogEvents: 1e8, maxQueuedEvents: 1e9 });
  const now = Date.UTC(2026, 0, 1);
  const { events } = generateDemoEvents({ developers, now });
  events.sort((a, b) => a.timestamp - b.timestamp);
  const receivedAt = now + 3_600_000;
  const requests: Array<{ events: NormalizedEvent[]; raw: RawCapture }> = [];
  for (let i = 0; i < events.length; i += 50) {
    const batch = events
      .slice(i, i + 50)
      .map((e) => ({ uuid: e.uuid, event: e.event, distinct_id: e.distinctId, timestamp: e.timestamp, properties: e.properties }));
    const body = Buffer.from(JSON.stringify({ api_key: TOKEN, batch }));
    const validated = validateCapture(JSON.parse(body.toString()), { projectToken: TOKEN, receivedAt });
    requests.push({ events: validated, raw: { body, meta: META, querySentAt: undefined, projectToken: TOKEN } });
  }
  // A hundred requests per group commit, so rows hold about 500 events as under load.
  for (let i = 0; i < requests.length; i += 100) await Promise.all(requests.slice(i, i + 100).map((r) => writer.write(r.events, r.raw)));
  const pending = (await writer.refreshCounts()).pendingEvents;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await writer.settle();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  console.log(
    `apply log: ${pending} events in ${seconds.toFixed(2)} s = ${Math.round(pending / seconds)} events/s, CPU ${((used.user + used.system) / 1e6).toFixed(2)} s, load ${loadavg()[0]!.toFixed(2)}`,
  );
  await writer.close(0);
  db.$client.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
