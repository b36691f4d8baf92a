/**
 * How the ingest log is split so that several instances can apply it at once (ADR 0018). Every event belongs to the
 * partition of its distinct id; a log row records which partitions still have events in it to apply
 * (`ingest_log.partitions`) and whether it holds an identity link (`ingest_log.links`). Events of one distinct id
 * therefore always land in one partition, which one applier at a time applies in log order; a link can join persons
 * of any partitions, so a row holding one is applied whole under the exclusive apply lock.
 */
import { mergeTarget } from './identity.ts';
import { pgSafeText } from './pg-safe-text.ts';
import type { NormalizedEvent } from './validate.ts';

/**
 * The lock each partition's apply transaction takes for its last statements and holds until it commits: the writes
 * that chunks of different persons share (call rollups, read and written back; the state change feed, whose rows
 * must become visible in `seq` order; the log rows' partition masks). The work before it runs side by side.
 */
export const INGEST_COMMIT_LOCK = 'ingest:commit';

/** The mask of every partition of `count` (at most 30). */
export function allPartitions(count: number): number {
  return 2 ** count - 1;
}

/**
 * The partition of a distinct id: FNV-1a over its UTF-16 code units, of the text as PostgreSQL stores it, so two ids
 * that are stored alike fall in one partition.
 */
export function partitionOf(distinctId: string, count: number): number {
  if (count <= 1) return 0;
  const id = pgSafeText(distinctId);
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % count;
}

/** Whether any event links two distinct ids (`$identify`, `$create_alias`), which only the exclusive apply may do. */
export function hasLink(events: ReadonlyArray<Pick<NormalizedEvent, 'event' | 'distinctId' | 'properties'>>): boolean {
  return events.some((event) => (event.event === '$identify' || event.event === '$create_alias') && mergeTarget(event) !== undefined);
}

/** The mask of the partitions `events` fall in. */
export function partitionMask(events: ReadonlyArray<Pick<NormalizedEvent, 'distinctId'>>, count: number): number {
  let mask = 0;
  for (const event of events) mask |= 2 ** partitionOf(event.distinctId, count);
  return mask;
}

/** The events of a row still to apply: those whose partition is in `pending` (every event when all are pending). */
export function pendingEvents<E extends Pick<NormalizedEvent, 'distinctId'>>(events: E[], pending: number, count: number): E[] {
  const all = allPartitions(count);
  if ((pending & all) === all) return events;
  return events.filter((event) => (pending & (2 ** partitionOf(event.distinctId, count))) !== 0);
}
