import type { Database } from 'better-sqlite3';
import { createIdentity, isMergeableId } from './identity.ts';
import type { NormalizedEvent } from './validate.ts';

function mergeTarget(event: NormalizedEvent): { otherId: string; identify: boolean } | undefined {
  const otherId =
    event.event === '$identify' ? event.properties.$anon_distinct_id : event.event === '$create_alias' ? event.properties.alias : undefined;
  if (typeof otherId !== 'string' && typeof otherId !== 'number') return undefined;
  const id = String(otherId);
  if (id === event.distinctId || !isMergeableId(id) || !isMergeableId(event.distinctId)) return undefined;
  return { otherId: id, identify: event.event === '$identify' };
}

/**
 * Writes events with their identity effects in one synchronous SQLite transaction.
 * A repeated uuid is skipped entirely, so SDK retries neither double-count nor re-apply `$set`.
 */
export function createEventStore(sqlite: Database) {
  const identity = createIdentity(sqlite);
  const insertEvent = sqlite.prepare(
    `INSERT INTO events (uuid, event, distinct_id, person_id, timestamp, received_at, properties)
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uuid) DO NOTHING`,
  );
  const seen = sqlite.prepare<[string], number>('SELECT 1 FROM events WHERE uuid = ?').pluck();

  function writeOne(event: NormalizedEvent) {
    const target = mergeTarget(event);
    if (target) {
      // A merge must not be replayed by a retry, so a known uuid is skipped before anything moves.
      if (seen.get(event.uuid)) return;
      const personId = identity.link(event.distinctId, target.otherId, event.timestamp, target.identify);
      insertEvent.run(event.uuid, event.event, event.distinctId, personId, event.timestamp, event.receivedAt, event.propertiesJson);
      identity.updateProperties(personId, event.set, event.setOnce);
      return;
    }
    // Hot path: the uuid index answers "seen before?" during the insert itself. A retried event's distinct id is
    // already mapped (ids are never unmapped), so resolving it first creates nothing.
    const personId = identity.personFor(event.distinctId, event.timestamp);
    const { changes } = insertEvent.run(event.uuid, event.event, event.distinctId, personId, event.timestamp, event.receivedAt, event.propertiesJson);
    if (changes === 1) identity.updateProperties(personId, event.set, event.setOnce);
  }

  /** Stores every event of every batch in one transaction: all of them commit, or none. */
  const writeBatches = sqlite.transaction((batches: ReadonlyArray<ReadonlyArray<NormalizedEvent>>) => {
    for (const batch of batches) for (const event of batch) writeOne(event);
  });

  return { writeBatches };
}

export type EventStore = ReturnType<typeof createEventStore>;
