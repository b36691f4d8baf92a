import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';

/**
 * Runs in a worker thread with its own connection. PASSIVE checkpoints never take the write lock, so ingest keeps
 * committing while WAL pages are copied into the database file and fsynced on the other core.
 */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.filename, { fileMustExist: true });
db.pragma('busy_timeout = 100');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage({ error: String(err && err.message) }); }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.postMessage({ stopped: true });
});
`;

/** WAL pages after which the ingest connection checkpoints by itself, as a backstop if the worker falls behind. */
const BACKSTOP_PAGES = 20_000;
const DEFAULT_PAGES = 1_000;

export interface Checkpointer {
  /** Stops the worker and closes its connection, so closing the main connection can remove the WAL. */
  stop(): Promise<void>;
}

/**
 * Moves WAL checkpoints (page copying plus fsync, the slowest part of SQLite writes in WAL mode) off the event loop
 * into a worker thread. The ingest connection keeps a high auto-checkpoint threshold as a backstop, and returns to
 * SQLite's default if the worker fails. A `:memory:` database needs none of this.
 */
export function startCheckpointer(sqlite: Database, opts: { intervalMs?: number } = {}): Checkpointer {
  if (sqlite.memory || sqlite.readonly) return { stop: async () => {} };
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { filename: sqlite.name, driver, intervalMs: opts.intervalMs ?? 200 } });
  worker.unref();
  sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  let failed = false;
  const fallBack = (reason: string) => {
    if (failed) return;
    failed = true;
    if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${DEFAULT_PAGES}`);
    console.warn(`[onramp] checkpoint worker: ${reason}; checkpointing on the main thread instead`);
  };
  worker.on('error', (err) => fallBack(err.message));
  worker.on('message', (m: { error?: string }) => {
    if (m.error && !/SQLITE_BUSY|locked/i.test(m.error)) fallBack(m.error);
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (failed)
          return void worker.terminate().then(
            () => resolve(),
            () => resolve(),
          );
        const timer = setTimeout(() => void worker.terminate().finally(resolve), 1_000);
        worker.on('message', (m: { stopped?: boolean }) => {
          if (!m.stopped) return;
          clearTimeout(timer);
          void worker.terminate().finally(resolve);
        });
        worker.postMessage('stop');
      }),
  };
}
