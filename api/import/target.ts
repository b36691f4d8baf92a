import { sql } from 'drizzle-orm';
import { writeEvents } from '../ingest/store.ts';
import type { NormalizedEvent } from '../ingest/validate.ts';
import { type Checkpoint, clearCheckpoint, getCheckpoint, saveCheckpoint } from './checkpoint.ts';
import type { IngestDatabase } from './database.ts';

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

/**
 * The import target on one database, SQLite or PostgreSQL: each chunk goes through live capture's event store
 * (api/ingest/store.ts) together with its checkpoint, in one transaction that excludes live capture's
 * log processor, so instances applying the log wait for the chunk and see its persons, and the chunk sees theirs.
 */
export function importTarget(target: IngestDatabase): ImportTarget {
  const { database } = target;
  return {
    prepare: () => target.drainLog(),
    getCheckpoint: (fileHash) => getCheckpoint(database, fileHash),
    clearCheckpoint: (fileHash) => clearCheckpoint(database, fileHash),
    writeChunk: (events, checkpoint) =>
      target.withApplyLock(async (tx) => {
        // Counted as the rows the write added: ids only grow, and this transaction excludes every other writer of
        // events, so every row past the previous maximum is one of ours. A uuid probe per event before the write
        // would cost a random index lookup each; this is one count over a short id range.
        const before = (await tx.get<{ id: number | null }>(sql`SELECT MAX(id) AS id FROM events`))?.id ?? 0;
        let inserted = 0;
        if (events.length > 0) {
          await writeEvents(tx, [events]);
          inserted = (await tx.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM events WHERE id > ${before}`))?.n ?? 0;
        }
        await saveCheckpoint(tx, checkpoint(inserted));
        return inserted;
      }),
    ...(target.offload ? { offload: target.offload } : {}),
  };
}
