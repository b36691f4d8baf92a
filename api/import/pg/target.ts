import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { withApplyLock } from '../../ingest/pg/processor.ts';
import { writeEvents } from '../../ingest/store.ts';
import type { ImportTarget } from '../target.ts';
import { createPgCheckpoints, savePgCheckpoint } from './checkpoint.ts';
import { drainIngestLog } from './export.ts';

/**
 * The PostgreSQL import target: each chunk is stored by api/ingest/store.ts `writeEvents` (live capture's
 * validation having run already, its deduplication and identity merge) together with its checkpoint, in one
 * transaction holding the ingest apply lock, so instances applying live capture's log wait for the chunk and see
 * its persons, and the chunk sees theirs.
 */
export function pgImportTarget(db: OnrampPgDb): ImportTarget {
  const checkpoints = createPgCheckpoints(db);
  return {
    prepare: () => drainIngestLog(db),
    getCheckpoint: (fileHash) => checkpoints.get(fileHash),
    clearCheckpoint: (fileHash) => checkpoints.clear(fileHash),
    async writeChunk(events, checkpoint) {
      const inserted = await withApplyLock(db.$client, async (client, database) => {
        // New uuids are exactly the ones stored now: writeEvents stores every uuid it has not seen (once).
        const uuids = [...new Set(events.map((e) => e.uuid))];
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE uuid = ANY($1::text[])', [uuids]);
        const added = uuids.length - rows[0]!.n;
        await writeEvents(database, [events]);
        await savePgCheckpoint(client, checkpoint(added));
        return added;
      });
      // Waiting for the lock never answers busy.
      return inserted === 'busy' ? 0 : inserted;
    },
  };
}
