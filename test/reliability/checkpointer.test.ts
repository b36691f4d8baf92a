import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../api/ingest/checkpointer.ts';
import { validateCapture } from '../../api/ingest/validate.ts';
import { openDb } from '../../db/client.ts';
import { createEventStore } from '../support/sync-event-store.ts';
import { loadEvent } from './load.ts';

describe('WAL checkpoints in a worker thread', () => {
  it('copies committed pages into the database file off the main thread, then stops cleanly', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'onramp-ckpt-')), 'onramp.db');
    const db = openDb(`file:${path}`);
    db.$client.pragma('wal_checkpoint(TRUNCATE)');
    const checkpointer = startCheckpointer(db.$client, { intervalMs: 50 });
    // The ingest connection only checkpoints by itself far beyond what this test writes.
    expect(db.$client.pragma('wal_autocheckpoint', { simple: true })).toBe(20_000);
    const sizeBefore = statSync(path).size;

    const store = createEventStore(db.$client);
    for (let i = 0; i < 20; i += 1) {
      const batch = Array.from({ length: 100 }, (_, j) => loadEvent('phc_t', `user-${i}-${j}`));
      store.writeBatches([validateCapture(batch, { projectToken: 'phc_t' })]);
    }
    let grown = false;
    for (let i = 0; i < 40 && !grown; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
      grown = statSync(path).size > sizeBefore;
    }
    expect(grown, 'the worker never checkpointed').toBe(true);

    await checkpointer.stop();
    db.$client.close();
    // With the worker's connection gone, the last close checkpointed and removed the WAL.
    expect(() => statSync(`${path}-wal`)).toThrow();
  });

  it('does nothing for an in-memory database', async () => {
    const db = openDb(':memory:');
    const checkpointer = startCheckpointer(db.$client);
    expect(db.$client.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
    await checkpointer.stop();
  });
});
