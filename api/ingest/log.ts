import type { NormalizedEvent } from './validate.ts';

/**
 * Wire format of one `ingest_log` row: a JSON array of `[uuid, event, distinct_id, timestamp, received_at, properties]`.
 * The properties go in as the JSON text validation already produced, so logging a request costs string joins, not a
 * second serialization of every property.
 */
type LoggedEvent = [string, string, string, number, number, Record<string, unknown>];

function encodeEvent(e: NormalizedEvent): string {
  // uuid is validated hex-and-dashes; event and distinct id are free text and must be escaped.
  return `["${e.uuid}",${JSON.stringify(e.event)},${JSON.stringify(e.distinctId)},${e.timestamp},${e.receivedAt},${e.propertiesJson}]`;
}

/** Serializes events for one log row, in order. */
export function encodeLogEntry(events: ReadonlyArray<NormalizedEvent>): string {
  return `[${events.map(encodeEvent).join(',')}]`;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Rebuilds the events of one log row exactly as validation produced them. `$set` / `$set_once` need no field of their
 * own: validation copies them into the properties, where they are objects exactly when they apply to the person.
 */
export function decodeLogEntry(text: string): NormalizedEvent[] {
  return (JSON.parse(text) as LoggedEvent[]).map(([uuid, event, distinctId, timestamp, receivedAt, properties]) => ({
    uuid,
    event,
    distinctId,
    timestamp,
    receivedAt,
    properties,
    propertiesJson: JSON.stringify(properties),
    set: isObject(properties.$set) ? properties.$set : undefined,
    setOnce: isObject(properties.$set_once) ? properties.$set_once : undefined,
  }));
}

/** Events per ingest-log row: rows stay a few hundred KB even for 1000-event batches. */
export const EVENTS_PER_LOG_ROW = 500;

/** Splits the events of a group commit into ingest-log rows of at most {@link EVENTS_PER_LOG_ROW} events, in order. */
export function logRows(batches: ReadonlyArray<ReadonlyArray<NormalizedEvent>>): NormalizedEvent[][] {
  const rows: NormalizedEvent[][] = [[]];
  for (const batch of batches) {
    for (const event of batch) {
      if (rows.at(-1)!.length >= EVENTS_PER_LOG_ROW) rows.push([]);
      rows.at(-1)!.push(event);
    }
  }
  return rows.filter((row) => row.length > 0);
}
