import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NormalizedEvent } from '../../api/ingest/validate.ts';

/**
 * A copy of a drizzle migrations folder that stops before the migration `tag`: migrating with it gives a database as
 * the version before that migration left it, for tests of what the migration does to existing rows.
 */
export function migrationsBefore(folder: string, tag: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'onramp-migrations-'));
  cpSync(folder, copy, { recursive: true });
  const journalPath = join(copy, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ tag: string }> };
  const at = journal.entries.findIndex((entry) => entry.tag === tag);
  if (at < 0) throw new Error(`migrationsBefore: no migration ${tag} in ${folder}`);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
  return copy;
}

/** The `events` column of an ingest-log row of events, as versions before one row format wrote it. */
export function rowOfEvents(events: ReadonlyArray<NormalizedEvent>): string {
  return `[${events.map((e) => `[${JSON.stringify(e.uuid)},${JSON.stringify(e.event)},${JSON.stringify(e.distinctId)},${e.timestamp},${e.receivedAt},${e.propertiesJson}]`).join(',')}]`;
}
