import type { Database } from 'better-sqlite3';
import { startCheckpointer } from '../ingest/checkpointer.ts';
import { createLogProcessor } from '../ingest/processor.ts';
import { createEventStore } from '../ingest/store.ts';
import type { NormalizedEvent } from '../ingest/validate.ts';
import { createCheckpoints, type Checkpoint } from './checkpoint.ts';

/**
 * Where an import writes: one database of either dialect. The importer reads, validates and counts; the target stores
 * a chunk of events with their identity effects (live capture's deduplication and identity merge) and the checkpoint
 * that covers them in one transaction, so a resumed import starts exactly after the last stored chunk.
 */
export interface ImportTarget {
  /** Applies what live capture acknowledged but has not stored yet, so the import's merges come after those events. */
  prepare(): Promise<void>;
  getCheckpoint(fileHash: string): Promise<Checkpoint | undefined>;
  clearCheckpoint(fileHash: string): Promise<void>;
  /**
   * Stores `events`, then saves `checkpoint(inserted)`, in one transaction; returns `inserted`, the events that were
   * new. The others (uuid stored already, or repeated within the chunk) are duplicates.
   */
  writeChunk(events: readonly NormalizedEvent[], checkpoint: (inserted: number) => Checkpoint): Promise<number>;
  /**
   * Optional: moves the target's own background work to another core for the rest of the run (SQLite: WAL
   * checkpoints); returns what stops it. The importer asks only when it runs in parallel (the CLI does).
   */
  offload?(): () => Promise<void>;
}

/** The SQLite target, on the caller's connection, through live capture's event store (api/ingest/store.ts). */
export function sqliteImportTarget(sqlite: Database): ImportTarget {
  const checkpoints = createCheckpoints(sqlite);
  const store = createEventStore(sqlite);
  const maxEventId = sqlite.prepare<[], number | null>('SELECT MAX(id) FROM events').pluck();
  const countAfter = sqlite.prepare<[number], number>('SELECT COUNT(*) FROM events WHERE id > ?').pluck();
  // The store writes inside this transaction (writeWithinTransaction): its own transaction nested in ours would be
  // a SAVEPOINT, which SQLite makes several times slower as the tables grow (60k events: 0.3 → 3.7 CPU-s).
  const transaction = sqlite.transaction((events: readonly NormalizedEvent[], checkpoint: (inserted: number) => Checkpoint) => {
    // Counted as the rows the write added: ids only grow, and this transaction holds the write lock, so every row
    // past the previous maximum is one of ours. A uuid probe per event before the write would cost a random index
    // lookup each; this is one count over a short rowid range.
    const before = maxEventId.get() ?? 0;
    let inserted = 0;
    if (events.length > 0) {
      store.writeWithinTransaction([events]);
      inserted = countAfter.get(before) ?? 0;
    }
    checkpoints.save(checkpoint(inserted));
    return inserted;
  });
  return {
    async prepare() {
      createLogProcessor(sqlite).drain();
    },
    async getCheckpoint(fileHash) {
      return checkpoints.get(fileHash);
    },
    async clearCheckpoint(fileHash) {
      checkpoints.clear(fileHash);
    },
    async writeChunk(events, checkpoint) {
      // IMMEDIATE: take the write lock before reading MAX(id), so no other writer's rows are counted as ours.
      return transaction.immediate(events, checkpoint);
    },
    offload() {
      // Copying WAL pages into the database file (and its fsync) otherwise runs inside our commits, on the thread
      // that writes: about a sixth of its time. The server's checkpoint worker does it beside it instead.
      const autoCheckpoint = sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;
      const checkpointer = startCheckpointer(sqlite);
      return async () => {
        await checkpointer.stop();
        if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${autoCheckpoint}`);
      };
    },
  };
}
