/**
 * Writes the history of `npm run bench:scale` into a SQLite file through the import's write path: each chunk goes
 * through live capture's event store (`writeEvents` in api/ingest/store.ts: identity, dedup, raw rows, rollups, call
 * facts) in one transaction that holds the apply lock, with WAL checkpoints moved to a worker thread, as
 * `onramp import` (api/import/target.ts) does.
 * The same events go to the DuckDB reference as they are made. Times the store apart from making the events.
 */
import { sqliteIngestDatabase } from '../../../api/import/database.ts';
import { writeEvents } from '../../../api/ingest/store.ts';
import type { NormalizedEvent } from '../../../api/ingest/validate.ts';
import { openDb } from '../../../db/client.ts';
import type { openDuckReference } from './duckdb.ts';
import { createHistory } from './history.ts';

/** What generating the history took. */
export interface Generated {
  events: number;
  /** Events by name. */
  counts: Map<string, number>;
  /** Seconds spent in the store (applying), making events, and loading DuckDB. */
  applySeconds: number;
  makeSeconds: number;
  duckSeconds: number;
}

/** Generates `events` events from `developers` developers into `file` and `duck`, `chunk` events per transaction. */
export async function generateInto(
  file: string,
  duck: Awaited<ReturnType<typeof openDuckReference>>,
  opts: { events: number; developers: number; chunk: number; log: (line: string) => void },
): Promise<Generated> {
  const db = openDb(file);
  const ingest = sqliteIngestDatabase(db.$client);
  const stopOffload = ingest.offload?.();
  const history = createHistory(opts.events, opts.developers);
  let applyMs = 0;
  let makeMs = 0;
  let duckMs = 0;
  let reported = performance.now();
  try {
    for (let i = 0; i < opts.events; i += opts.chunk) {
      let t = performance.now();
      const chunk: NormalizedEvent[] = [];
      const flat = [];
      for (let j = i; j < Math.min(opts.events, i + opts.chunk); j++) {
        const [event, row] = history.nth(j);
        chunk.push(event);
        flat.push(row);
      }
      makeMs += performance.now() - t;
      t = performance.now();
      await ingest.withApplyLock((tx) => writeEvents(tx, [chunk]));
      applyMs += performance.now() - t;
      t = performance.now();
      for (const row of flat) duck.append(row);
      duckMs += performance.now() - t;
      if (performance.now() - reported > 60_000) {
        reported = performance.now();
        const done = i + chunk.length;
        opts.log(`  … ${done.toLocaleString('en')} events, applying at ${Math.round(done / (applyMs / 1000)).toLocaleString('en')} events/s so far`);
      }
    }
  } finally {
    await stopOffload?.();
    db.$client.pragma('wal_checkpoint(TRUNCATE)');
    db.$client.close();
  }
  return { events: opts.events, counts: history.counts(), applySeconds: applyMs / 1000, makeSeconds: makeMs / 1000, duckSeconds: duckMs / 1000 };
}
