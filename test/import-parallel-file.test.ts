/**
 * The CLI's import mode (parse worker + WAL checkpoints on a checkpoint worker) into a database file, compared with the
 * one-thread import into another file: the same rows, ids and persons, and the connection's auto-checkpoint setting is
 * back to what it was afterwards.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importFile } from '../api/import/importer.ts';
import { type OnrampDb, openDb } from '../db/client.ts';
import { jsonl, TOKEN, tempFile } from './import/support.ts';

function rows(n: number) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const person = Math.floor(i / 7) % 40;
    const step = i % 7;
    out.push({
      uuid: `0190a000-0000-7000-8000-${String(i % 997 === 5 ? i - 1 : i).padStart(12, '0')}`,
      event: step === 1 ? '$identify' : step === 2 ? '$create_alias' : step === 3 ? '$set' : '$pageview',
      distinct_id: step === 0 ? `anon-${i}` : `user-${person}`,
      timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      properties:
        step === 1
          ? { $anon_distinct_id: `anon-${i - 1}`, $set: { n: i } }
          : step === 2
            ? { alias: `user-${(person + 1) % 40}` }
            : step === 3
              ? { $set: { last: i }, $set_once: { first: i } }
              : { $pathname: `/p/${i % 5}` },
    });
  }
  return out;
}

function dump(db: OnrampDb) {
  const all = (sql: string) => db.$client.prepare(sql).raw().all();
  return {
    events: all('SELECT id, uuid, event, distinct_id, person_id, timestamp, properties FROM events ORDER BY id'),
    persons: all('SELECT id, properties, is_identified, created_at FROM persons ORDER BY id'),
    distinctIds: all('SELECT distinct_id, person_id FROM person_distinct_ids ORDER BY distinct_id'),
  };
}

describe('import into a database file', () => {
  it('gives the same rows with the parse and checkpoint workers as on one thread, and restores wal_autocheckpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onramp-import-file-'));
    const file = tempFile('events.jsonl', jsonl(rows(6000)));
    const parallel = openDb(`file:${join(dir, 'parallel.db')}`);
    const single = openDb(`file:${join(dir, 'single.db')}`);
    try {
      const before = parallel.$client.pragma('wal_autocheckpoint', { simple: true });
      const a = await importFile(parallel.$client, file, { projectToken: TOKEN, parallel: true, commitEvery: 1000 });
      const b = await importFile(single.$client, file, { projectToken: TOKEN, commitEvery: 1000 });
      expect(a).toMatchObject({ imported: b.imported, duplicates: b.duplicates, rejected: 0 });
      expect(a.duplicates).toBeGreaterThan(0);
      expect(parallel.$client.pragma('wal_autocheckpoint', { simple: true })).toBe(before);
      expect(dump(parallel)).toEqual(dump(single));
    } finally {
      parallel.$client.close();
      single.$client.close();
    }
  });
});
