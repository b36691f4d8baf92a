import type { Database } from 'better-sqlite3';
import { createIdentity, mergeTarget } from './identity.ts';
import type { NormalizedEvent } from './validate.ts';

/**
 * Writes events with their identity effects in one synchronous SQLite transaction.
 * A repeated uuid is skipped entirely, so SDK retries neither double-count nor re-apply `$set`.
 */
/** Rows per multi-row INSERT: one statement step instead of many cuts per-row overhead by about a quarter. */
const ROWS_PER_INSERT = 32;
const EVENT_COLUMNS = '(uuid, event, distinct_id, person_id, timestamp, received_at, properties)';
const ROW_PLACEHOLDERS = '(?, ?, ?, ?, ?, ?, ?)';

type EventRow = [string, string, string, number, number, number, string];

export function createEventStore(sqlite: Database) {
  const identity = createIdentity(sqlite);
  const insertEvent = sqlite.prepare(`INSERT INTO events ${EVENT_COLUMNS} VALUES ${ROW_PLACEHOLDERS} ON CONFLICT (uuid) DO NOTHING`);
  const insertEvents = sqlite.prepare(
    `INSERT INTO events ${EVENT_COLUMNS} VALUES ${Array<string>(ROWS_PER_INSERT).fill(ROW_PLACEHOLDERS).join(', ')} ON CONFLICT (uuid) DO NOTHING`,
  );
  const seen = sqlite.prepare<[string], number>('SELECT 1 FROM events WHERE uuid = ?').pluck();
  let pending: EventRow[] = [];

  function row(event: NormalizedEvent, personId: number): EventRow {
    return [event.uuid, event.event, event.distinctId, personId, event.timestamp, event.receivedAt, event.propertiesJson];
  }

  /** Inserts the deferred plain events, in order, before anything that could move them (a merge) runs. */
  function flushRows() {
    let i = 0;
    for (; i + ROWS_PER_INSERT <= pending.length; i += ROWS_PER_INSERT) insertEvents.run(pending.slice(i, i + ROWS_PER_INSERT).flat());
    for (; i < pending.length; i += 1) insertEvent.run(pending[i]!);
    pending = [];
  }

  function writeOne(event: NormalizedEvent) {
    const target = mergeTarget(event);
    if (target) {
      flushRows();
      // A merge must not be replayed by a retry, so a known uuid is skipped before anything moves.
      if (seen.get(event.uuid)) return;
      const personId = identity.link(event.distinctId, target.otherId, event.timestamp, target.identify);
      insertEvent.run(row(event, personId));
      identity.updateProperties(personId, event.set, event.setOnce);
      return;
    }
    // A retried event's distinct id is already mapped (ids are never unmapped), so resolving it creates nothing;
    // the uuid index then drops the duplicate row during the insert itself.
    const personId = identity.personFor(event.distinctId, event.timestamp);
    if (!event.set && !event.setOnce) {
      pending.push(row(event, personId));
      return;
    }
    flushRows();
    const { changes } = insertEvent.run(row(event, personId));
    if (changes === 1) identity.updateProperties(personId, event.set, event.setOnce);
  }

  function writeAll(batches: ReadonlyArray<ReadonlyArray<NormalizedEvent>>) {
    try {
      for (const batch of batches) for (const event of batch) writeOne(event);
      flushRows();
    } finally {
      pending = [];
    }
  }
  const transaction = sqlite.transaction(writeAll);

  return {
    /** Stores every event of every batch in one transaction: all of them commit, or none. */
    writeBatches(batches: ReadonlyArray<ReadonlyArray<NormalizedEvent>>) {
      transaction(batches);
    },
    /**
     * The same inside the caller's transaction. A nested better-sqlite3 transaction would be a SAVEPOINT, which SQLite
     * makes several times slower as the tables grow (see api/import/importer.ts).
     */
    writeWithinTransaction: writeAll,
  };
}

export type EventStore = ReturnType<typeof createEventStore>;
