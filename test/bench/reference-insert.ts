/**
 * The reference `bench:import` reads its target against: a minimal bulk insert design, run on the same export file.
 * Each line is read and JSON.parse'd on one thread, one prepared INSERT per event, 1,000 rows per transaction, into a
 * table with only UNIQUE(uuid) and one (event, distinct_id, timestamp) index (WAL, synchronous=NORMAL, as Onramp's). No
 * validation, identity merge, report index or checkpoint: what storing the events with uuid deduplication costs by
 * itself on this machine.
 */

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';

const ROWS_PER_TRANSACTION = 1000;

interface ExportRow {
  uuid: string;
  event: string;
  distinct_id: string;
  timestamp: string;
  properties: unknown;
}

export interface ReferenceResult {
  /** Lines read (every one an event). */
  rows: number;
  /** Rows stored; the rest repeated a stored uuid. */
  inserted: number;
  seconds: number;
  /** CPU time of this process (every thread), user + system. */
  cpuSeconds: number;
}

/** Inserts a PostHog JSON-lines export into a new SQLite file at `dbPath` the reference way. */
export async function referenceInsert(file: string, dbPath: string): Promise<ReferenceResult> {
  const db = new Database(dbPath);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE events (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, event TEXT NOT NULL,
      distinct_id TEXT NOT NULL, timestamp INTEGER NOT NULL, properties TEXT NOT NULL)`);
    db.exec('CREATE INDEX events_event_distinct_id_timestamp ON events (event, distinct_id, timestamp)');
    const insert = db.prepare('INSERT INTO events (uuid, event, distinct_id, timestamp, properties) VALUES (?, ?, ?, ?, ?) ON CONFLICT (uuid) DO NOTHING');
    const insertAll = db.transaction((batch: ExportRow[]) => {
      let inserted = 0;
      for (const r of batch) inserted += insert.run(r.uuid, r.event, r.distinct_id, Date.parse(r.timestamp), JSON.stringify(r.properties)).changes;
      return inserted;
    });
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    let batch: ExportRow[] = [];
    let rows = 0;
    let inserted = 0;
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (line === '') continue;
      batch.push(JSON.parse(line) as ExportRow);
      if (batch.length === ROWS_PER_TRANSACTION) {
        inserted += insertAll(batch);
        rows += batch.length;
        batch = [];
      }
    }
    inserted += insertAll(batch);
    rows += batch.length;
    const cpu = process.cpuUsage(cpuBefore);
    return { rows, inserted, seconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  } finally {
    db.close();
  }
}
