import type { Database, Statement } from 'better-sqlite3';
import { createIdentity, mergeTarget, type MergeTarget } from './identity.ts';
import type { NormalizedEvent } from './validate.ts';

/**
 * Writes events with their identity effects in one synchronous SQLite transaction.
 * A repeated uuid is skipped entirely, so SDK retries neither double-count nor re-apply `$set`.
 */
/** Rows per multi-row INSERT: one statement step instead of many cuts per-row overhead by about a quarter. */
const ROWS_PER_INSERT = 32;
const EVENT_COLUMNS = '(uuid, event, distinct_id, person_id, timestamp, received_at, properties)';
const ROW_PLACEHOLDERS = '(?, ?, ?, ?, ?, ?, ?)';
/** Parameters per row, in EVENT_COLUMNS order; the uuid comes first. */
const ROW_WIDTH = 7;

/**
 * An event that may carry its {@link mergeTarget} already worked out (the import's parse worker does), so the store
 * need not read `properties`; `null` means none.
 */
export type StoreEvent = NormalizedEvent & { linkTarget?: MergeTarget | null };

export function createEventStore(sqlite: Database) {
  /** Rows not inserted yet must be before any merge moves events, so a merge inserts them first. */
  const identity = createIdentity(sqlite, { beforeMerge: () => flushRows() });
  /** INSERT statements for 1..ROWS_PER_INSERT rows, prepared when first needed. */
  const inserts: Statement[] = [];
  const insertRows = (rows: number) =>
    (inserts[rows] ??= sqlite.prepare(
      `INSERT INTO events ${EVENT_COLUMNS} VALUES ${Array<string>(rows).fill(ROW_PLACEHOLDERS).join(', ')} ON CONFLICT (uuid) DO NOTHING`,
    ));
  const seen = sqlite.prepare<[string], number>('SELECT 1 FROM events WHERE uuid = ?').pluck();
  /**
   * The parameters of the rows still to insert, in event order, ROW_WIDTH per row: rows wait so that up to
   * ROWS_PER_INSERT of them go in one statement. Nothing reads `events` before they are inserted except the uuid
   * checks below (which look here too) and a merge (which inserts them first).
   */
  let pending: Array<string | number> = [];

  function flushRows() {
    // The rows point at persons the identity may still hold back.
    identity.flush();
    if (pending.length === 0) return;
    insertRows(pending.length / ROW_WIDTH).run(pending);
    pending = [];
  }

  function push(event: NormalizedEvent, personId: number) {
    pending.push(event.uuid, event.event, event.distinctId, personId, event.timestamp, event.receivedAt, event.propertiesJson);
    if (pending.length === ROWS_PER_INSERT * ROW_WIDTH) flushRows();
  }

  /** The uuid is stored already, or waits among the pending rows (which the insert would then drop). */
  function isKnown(uuid: string): boolean {
    for (let i = 0; i < pending.length; i += ROW_WIDTH) if (pending[i] === uuid) return true;
    return seen.get(uuid) !== undefined;
  }

  function writeOne(event: StoreEvent) {
    const target = event.linkTarget === undefined ? mergeTarget(event) : event.linkTarget;
    if (target) {
      // A merge must not be replayed by a retry, so a known uuid is skipped before anything moves.
      if (isKnown(event.uuid)) return;
      const personId = identity.link(event.distinctId, target.otherId, event.timestamp, target.identify);
      push(event, personId);
      identity.updateProperties(personId, event.set, event.setOnce);
      return;
    }
    // A retried event's distinct id is already mapped (ids are never unmapped), so resolving it creates nothing;
    // the uuid index then drops the duplicate row during the insert itself.
    const personId = identity.personFor(event.distinctId, event.timestamp);
    if (!event.set && !event.setOnce) {
      push(event, personId);
      return;
    }
    // `$set` is applied only by the event's first copy. A copy still goes to the insert, which drops it: that keeps
    // the AUTOINCREMENT sequence exactly where inserting every row would (a dropped row uses up an id).
    const first = !isKnown(event.uuid);
    push(event, personId);
    if (first) identity.updateProperties(personId, event.set, event.setOnce);
  }

  function writeAll(batches: ReadonlyArray<ReadonlyArray<StoreEvent>>) {
    identity.begin();
    try {
      for (const batch of batches) for (const event of batch) writeOne(event);
      flushRows();
      identity.finish();
    } finally {
      pending = [];
      identity.end();
    }
  }
  const transaction = sqlite.transaction(writeAll);

  return {
    /** Stores every event of every batch in one transaction: all of them commit, or none. */
    writeBatches(batches: ReadonlyArray<ReadonlyArray<StoreEvent>>) {
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
