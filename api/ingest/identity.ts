import { uuidv7 } from 'uuidv7';
import type { NormalizedEvent } from './validate.ts';

/** Distinct ids that buggy clients send for everyone; merging on them would fuse strangers into one person. */
const ILLEGAL_MERGE_IDS = new Set([
  '',
  'anonymous',
  'null',
  'undefined',
  'none',
  'nil',
  '0',
  '[object object]',
  'distinct_id',
  'id',
  'not_authenticated',
  'guest',
  'true',
  'false',
]);

/** Whether a distinct id may take part in a merge (PostHog refuses the ids buggy clients send for everyone). */
export function isMergeableId(id: string): boolean {
  return !ILLEGAL_MERGE_IDS.has(id.trim().toLowerCase());
}

/** What an `$identify` or `$create_alias` links: the event's distinct id to `otherId`. */
export interface MergeTarget {
  otherId: string;
  /** `$identify` also marks the person identified; `$create_alias` does not. */
  identify: boolean;
}

/**
 * The id an event asks to link to its distinct id (`$anon_distinct_id` of an `$identify`, `alias` of a
 * `$create_alias`), or undefined for every other event and for links PostHog refuses: to itself, or on an id that
 * buggy clients send for everyone.
 */
export function mergeTarget(event: Pick<NormalizedEvent, 'event' | 'distinctId' | 'properties'>): MergeTarget | undefined {
  const otherId = event.event === '$identify' ? event.properties.$anon_distinct_id : event.event === '$create_alias' ? event.properties.alias : undefined;
  if (typeof otherId !== 'string' && typeof otherId !== 'number') return undefined;
  const id = String(otherId);
  if (id === event.distinctId || !isMergeableId(id) || !isMergeableId(event.distinctId)) return undefined;
  return { otherId: id, identify: event.event === '$identify' };
}

/**
 * PostHog's four cases for linking a distinct id to `otherId`, given the persons (of any type `P`) they map to:
 * - `new-person`: neither is known; one new person gets both ids;
 * - `map-distinct-id`: only `otherId` is known; the distinct id joins its person;
 * - `map-other-id`: only the distinct id is known; `otherId` joins its person;
 * - both known: `merge` folds the other person into the distinct id's, unless it is the same person or the other
 *   one is already identified (that would fuse two known users): then `keep`.
 * `isIdentified` is asked only in that last case, and only about the other person.
 */
export type LinkDecision<P> =
  | { kind: 'new-person' }
  | { kind: 'map-distinct-id'; personId: P }
  | { kind: 'map-other-id'; personId: P }
  | { kind: 'merge'; personId: P; from: P }
  | { kind: 'keep'; personId: P };

/** Decides how to link two ids from the persons they map to; pure, so every store links exactly the same events. */
export function decideLink<P>(own: P | undefined, other: P | undefined, isIdentified: (person: P) => boolean): LinkDecision<P> {
  if (own === undefined && other === undefined) return { kind: 'new-person' };
  if (own === undefined) return { kind: 'map-distinct-id', personId: other! };
  if (other === undefined) return { kind: 'map-other-id', personId: own };
  if (own !== other && !isIdentified(other)) return { kind: 'merge', personId: own, from: other };
  return { kind: 'keep', personId: own };
}

/** A person as one chunk of events sees it: read from the database, or created while applying the chunk. */
export interface ChunkPerson {
  /** Database id; undefined for a person this chunk created, until it is written. */
  id: number | undefined;
  uuid: string;
  createdAt: number;
  identified: boolean;
  /** Undefined when the chunk did not read them, which it does only for persons no `$set` or merge can reach. */
  properties: Record<string, unknown> | undefined;
  /** Properties or `is_identified` differ from the database row. */
  changed: boolean;
  /** Set once this person was folded into another one. */
  mergedInto: ChunkPerson | undefined;
}

/** The person `person` ended up as, following merges. */
export function survivorOf(person: ChunkPerson): ChunkPerson {
  let current = person;
  while (current.mergedInto) current = current.mergedInto;
  return current;
}

/**
 * The identity effects of one chunk of events, worked out in memory over the persons its distinct ids mapped to when
 * the chunk began (`known`), so that applying a chunk costs a handful of statements rather than several per event.
 * Only correct while no one else changes the persons it read: the chunk runs in a transaction that holds the write
 * lock (SQLite), the ingest apply lock (PostgreSQL), or one apply partition's lock with the chunk's persons locked
 * (api/ingest/apply-partitions.ts). api/ingest/store.ts reads `known` and writes the result.
 */
export function createChunkIdentity(known: ReadonlyMap<string, ChunkPerson>) {
  /** Distinct ids this chunk mapped, in mapping order, to be inserted (each to its person's survivor). */
  const newDistinctIds = new Map<string, ChunkPerson>();
  /** Every person this chunk created, in creation order, merged away or not. */
  const created: ChunkPerson[] = [];
  /** Persons of the database merged into another one: their rows move, then they are deleted. */
  const mergedAway: ChunkPerson[] = [];

  function find(distinctId: string): ChunkPerson | undefined {
    const person = known.get(distinctId) ?? newDistinctIds.get(distinctId);
    return person && survivorOf(person);
  }

  function createPerson(distinctId: string, at: number, identified = false): ChunkPerson {
    const person: ChunkPerson = { id: undefined, uuid: uuidv7(), createdAt: at, identified, properties: {}, changed: true, mergedInto: undefined };
    created.push(person);
    newDistinctIds.set(distinctId, person);
    return person;
  }

  function propertiesOf(person: ChunkPerson): Record<string, unknown> {
    if (!person.properties) throw new Error(`ingest: properties of person ${person.id} were not read for this chunk`);
    return person.properties;
  }

  function updateProperties(person: ChunkPerson, set?: Record<string, unknown>, setOnce?: Record<string, unknown>) {
    if (!set && !setOnce) return;
    person.properties = { ...setOnce, ...propertiesOf(person), ...set };
    person.changed = true;
  }

  /** Folds `from` into `into`: `into`'s properties win, `from` only fills gaps. */
  function merge(from: ChunkPerson, into: ChunkPerson) {
    const fromProperties = propertiesOf(from);
    from.mergedInto = into;
    if (from.id !== undefined) mergedAway.push(from);
    updateProperties(into, undefined, fromProperties);
  }

  /**
   * Links `otherId` (the anonymous id of an `$identify`, or the alias of a `$create_alias`) to `distinctId`'s person
   * as {@link decideLink} says; returns the person the event belongs to.
   */
  function link(distinctId: string, otherId: string, at: number, identify: boolean): ChunkPerson {
    const decision = decideLink(find(distinctId), find(otherId), (person) => person.identified);
    let person: ChunkPerson;
    switch (decision.kind) {
      case 'new-person':
        person = createPerson(distinctId, at, identify);
        newDistinctIds.set(otherId, person);
        break;
      case 'map-distinct-id':
        person = decision.personId;
        newDistinctIds.set(distinctId, person);
        break;
      case 'map-other-id':
        person = decision.personId;
        newDistinctIds.set(otherId, person);
        break;
      case 'merge':
        person = decision.personId;
        merge(decision.from, person);
        break;
      case 'keep':
        person = decision.personId;
        break;
    }
    if (identify && !person.identified) {
      person.identified = true;
      person.changed = true;
    }
    return person;
  }

  return {
    /** The person of a distinct id, created (with no properties) when the id is new. */
    personFor: (distinctId: string, at: number) => find(distinctId) ?? createPerson(distinctId, at),
    link,
    updateProperties,
    /**
     * Persons created by this chunk, in creation order, including those merged away since: inserting them all keeps
     * person ids where one transaction per event would put them (a merged-away person is deleted after).
     */
    created: () => created,
    /** Persons read from the database, still standing, whose row must be updated. */
    changedKnown: () => [...new Set(known.values())].filter((person) => person.changed && !person.mergedInto),
    /** Persons of the database merged away, in merge order. */
    mergedAway: () => mergedAway,
    newDistinctIds: () => newDistinctIds,
  };
}

export type ChunkIdentity = ReturnType<typeof createChunkIdentity>;
