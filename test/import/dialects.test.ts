/**
 * Import, export and checkpoints, written once for both dialects, run on SQLite and on PostgreSQL: the same history
 * gives the same summary, events and persons; a chunk and its checkpoint commit together; an export imports into
 * another database as the same events and persons.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type Checkpoint, clearCheckpoint, getCheckpoint, saveCheckpoint } from '../../api/import/checkpoint.ts';
import { type IngestDatabase, postgresIngestDatabase, sqliteIngestDatabase } from '../../api/import/database.ts';
import { exportEvents } from '../../api/import/export.ts';
import { importFile } from '../../api/import/importer.ts';
import { importTarget } from '../../api/import/target.ts';
import { parseJsonColumn } from '../../api/storage/sql/interface.ts';
import { testDb } from '../support/app.ts';
import { freshPgDb, ON_POSTGRES } from '../support/pg-test-db.ts';
import { historyFile, jsonl, posthogRows, TOKEN, tempFile } from './support.ts';

/** A fresh migrated database of the project's dialect, as the import and export see it. */
function freshDatabase(): IngestDatabase {
  return ON_POSTGRES ? postgresIngestDatabase(freshPgDb()) : sqliteIngestDatabase(testDb().$client);
}

const importInto = (target: IngestDatabase, file: string, options: { commitEvery?: number } = {}) =>
  importFile(importTarget(target), file, { projectToken: TOKEN, ...options });

/** Every event as a comparable value (properties parsed: jsonb reorders keys), oldest first. */
async function storedEvents(target: IngestDatabase) {
  const rows = await target.database.all<{ uuid: string; event: string; distinct_id: string; timestamp: number; properties: unknown }>(
    sql`SELECT uuid, event, distinct_id, timestamp, properties FROM events ORDER BY timestamp, uuid`,
  );
  return rows.map((r) => ({ ...r, properties: parseJsonColumn(r.properties) }));
}

/** Persons as sorted lists of their distinct ids, with their properties, independent of ids. */
async function storedPersons(target: IngestDatabase) {
  const rows = await target.database.all<{ person_id: number; distinct_id: string; properties: unknown }>(
    sql`SELECT d.person_id, d.distinct_id, p.properties FROM person_distinct_ids d JOIN persons p ON p.id = d.person_id`,
  );
  const byPerson = new Map<number, { ids: string[]; properties: unknown }>();
  for (const r of rows) {
    const person = byPerson.get(r.person_id) ?? { ids: [], properties: parseJsonColumn(r.properties) };
    person.ids.push(r.distinct_id);
    byPerson.set(r.person_id, person);
  }
  return [...byPerson.values()].map((p) => ({ ids: p.ids.sort().join(','), properties: p.properties })).sort((a, b) => a.ids.localeCompare(b.ids));
}

describe('import', () => {
  it('reports bad rows, skips duplicates, merges on $identify, and resumes to nothing new', async () => {
    const target = freshDatabase();
    const file = historyFile();
    const summary = await importInto(target, file, { commitEvery: 7 });
    expect(summary).toMatchObject({ imported: 45, duplicates: 1, rejected: 4, interrupted: false });
    expect(summary.rejectedRows.map((r) => r.line)).toEqual([42, 44, 46, 48]);
    const persons = await storedPersons(target);
    expect(persons.find((p) => p.ids === 'anon-x,dev-x')?.properties).toEqual({ plan: 'free', email: 'x@example.test' });
    const again = await importInto(target, file, { commitEvery: 7 });
    expect(again.imported).toBe(0);
    expect((await storedEvents(target)).length).toBe(45);
  });

  it('commits a chunk and its checkpoint together: when the checkpoint fails, the chunk is not stored', async () => {
    const target = freshDatabase();
    const chunk = importTarget(target);
    const file = tempFile('one.jsonl', jsonl(posthogRows(3)));
    // The checkpoint insert fails inside the chunk's transaction (a NULL key), after the events were written.
    const failing = importFile(
      { ...chunk, writeChunk: (rows, checkpoint) => chunk.writeChunk(rows, (inserted) => ({ ...checkpoint(inserted), fileHash: null as unknown as string })) },
      file,
      { projectToken: TOKEN },
    );
    await expect(failing).rejects.toThrow();
    expect(await storedEvents(target)).toEqual([]);
  });
});

describe('checkpoints', () => {
  it('saves, replaces, reads and clears a checkpoint, numbers and columns intact', async () => {
    const { database } = freshDatabase();
    const cp: Checkpoint = {
      fileHash: 'h1',
      path: '/tmp/x.csv',
      format: 'csv',
      columns: ['uuid', 'event', 'ü'],
      byteOffset: 2 ** 40,
      line: 12,
      imported: 10,
      duplicates: 1,
      rejected: 2,
      completedAt: undefined,
    };
    expect(await getCheckpoint(database, 'h1')).toBeUndefined();
    await saveCheckpoint(database, cp);
    expect(await getCheckpoint(database, 'h1')).toEqual(cp);
    const done = { ...cp, columns: undefined, line: 99, completedAt: 1_760_000_000_123 };
    await saveCheckpoint(database, done);
    expect(await getCheckpoint(database, 'h1')).toEqual(done);
    await clearCheckpoint(database, 'h1');
    expect(await getCheckpoint(database, 'h1')).toBeUndefined();
  });
});

describe('export', () => {
  it('exports a range oldest first, and the export imports elsewhere as the same events and persons', async () => {
    const source = freshDatabase();
    await importInto(source, historyFile());
    const text = async (range: { from: number; to: number }) => {
      const pieces: string[] = [];
      const count = await exportEvents(source, range, (piece) => void pieces.push(piece));
      return { count, lines: pieces.join('').split('\n').filter(Boolean) };
    };
    const whole = await text({ from: 0, to: Number.MAX_SAFE_INTEGER });
    expect(whole.count).toBe(45);
    const times = whole.lines.map((line) => Date.parse((JSON.parse(line) as { timestamp: string }).timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect((await text({ from: 0, to: 1 })).count).toBe(0);
    const middle = times[20]!;
    expect(
      (await text({ from: middle, to: middle })).lines.map((l) => JSON.parse(l) as { timestamp: string }).every((e) => Date.parse(e.timestamp) === middle),
    ).toBe(true);

    const copy = freshDatabase();
    const summary = await importInto(copy, tempFile('export.jsonl', `${whole.lines.join('\n')}\n`));
    expect(summary).toMatchObject({ imported: 45, rejected: 0 });
    const comparable = async (t: IngestDatabase) =>
      (await storedEvents(t)).map(({ uuid: u, event, distinct_id, timestamp, properties }) => [u, event, distinct_id, timestamp, properties]);
    expect(await comparable(copy)).toEqual(await comparable(source));
    expect(await storedPersons(copy)).toEqual(await storedPersons(source));
  });
});
