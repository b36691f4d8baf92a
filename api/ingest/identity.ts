import type { Database } from 'better-sqlite3';
import { uuidv7 } from 'uuidv7';
import type { NormalizedEvent } from './validate.ts';

/** Distinct ids that buggy clients send for everyone; merging on them would fuse strangers into one person. */
const ILLEGAL_MERGE_IDS = new Set(['', 'anonymous', 'null', 'undefined', 'none', 'nil', '0', '[object object]', 'distinct_id', 'id', 'not_authenticated', 'guest', 'true', 'false']);

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
 * buggy clients send for everyone. Shared by both storage dialects, so they link exactly the same events.
 */
export function mergeTarget(event: Pick<NormalizedEvent, 'event' | 'distinctId' | 'properties'>): MergeTarget | undefined {
  const otherId =
    event.event === '$identify' ? event.properties.$anon_distinct_id : event.event === '$create_alias' ? event.properties.alias : undefined;
  if (typeof otherId !== 'string' && typeof otherId !== 'number') return undefined;
  const id = String(otherId);
  if (id === event.distinctId || !isMergeableId(id) || !isMergeableId(event.distinctId)) return undefined;
  return { otherId: id, identify: event.event === '$identify' };
}

/**
 * PostHog's four cases for linking a distinct id to `otherId`, given the persons (of any id type `P`) they map to:
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

/** Decides how to link two ids from the persons they map to; pure, so both storage dialects share it. */
export function decideLink<P>(own: P | undefined, other: P | undefined, isIdentified: (person: P) => boolean): LinkDecision<P> {
  if (own === undefined && other === undefined) return { kind: 'new-person' };
  if (own === undefined) return { kind: 'map-distinct-id', personId: other! };
  if (other === undefined) return { kind: 'map-other-id', personId: own };
  if (own !== other && !isIdentified(other)) return { kind: 'merge', personId: own, from: other };
  return { kind: 'keep', personId: own };
}

/**
 * Resolves distinct ids to persons and merges persons, using prepared statements on the caller's transaction.
 * Merges repoint the distinct-id map and the events, so every report sees one person without a join.
 */
export function createIdentity(sqlite: Database) {
  const findPerson = sqlite.prepare<[string], number>('SELECT person_id FROM person_distinct_ids WHERE distinct_id = ?').pluck();
  const insertPerson = sqlite
    .prepare<[string, number, number], number>('INSERT INTO persons (uuid, properties, is_identified, created_at) VALUES (?, \'{}\', ?, ?) RETURNING id')
    .pluck();
  const mapDistinctId = sqlite.prepare<[string, number]>('INSERT INTO person_distinct_ids (distinct_id, person_id) VALUES (?, ?)');
  const isIdentified = sqlite.prepare<[number], number>('SELECT is_identified FROM persons WHERE id = ?').pluck();
  const markIdentified = sqlite.prepare<[number]>('UPDATE persons SET is_identified = 1 WHERE id = ?');
  const readProperties = sqlite.prepare<[number], string>('SELECT properties FROM persons WHERE id = ?').pluck();
  const writeProperties = sqlite.prepare<[string, number]>('UPDATE persons SET properties = ? WHERE id = ?');
  const moveDistinctIds = sqlite.prepare<[number, number]>('UPDATE person_distinct_ids SET person_id = ? WHERE person_id = ?');
  const moveEvents = sqlite.prepare<[number, number]>('UPDATE events SET person_id = ? WHERE person_id = ?');
  const deletePerson = sqlite.prepare<[number]>('DELETE FROM persons WHERE id = ?');

  function createPerson(distinctId: string, at: number, identified = false): number {
    const id = insertPerson.get(uuidv7(), identified ? 1 : 0, at)!;
    mapDistinctId.run(distinctId, id);
    return id;
  }

  function personFor(distinctId: string, at: number): number {
    return findPerson.get(distinctId) ?? createPerson(distinctId, at);
  }

  function updateProperties(personId: number, set?: Record<string, unknown>, setOnce?: Record<string, unknown>) {
    if (!set && !setOnce) return;
    const current = JSON.parse(readProperties.get(personId) ?? '{}') as Record<string, unknown>;
    const next = { ...setOnce, ...current, ...set };
    writeProperties.run(JSON.stringify(next), personId);
  }

  /** Folds `from` into `into`: `into`'s properties win, `from` only fills gaps. */
  function merge(from: number, into: number) {
    const fromProps = JSON.parse(readProperties.get(from) ?? '{}') as Record<string, unknown>;
    moveDistinctIds.run(into, from);
    moveEvents.run(into, from);
    deletePerson.run(from);
    updateProperties(into, undefined, fromProps);
  }

  /**
   * Links `otherId` (the anonymous id of an `$identify`, or the alias of a `$create_alias`) to `distinctId`'s person,
   * following PostHog: a new id joins the existing person; two existing persons merge unless the other one was
   * already identified (that would fuse two known users).
   */
  function link(distinctId: string, otherId: string, at: number, identify: boolean): number {
    const decision = decideLink(findPerson.get(distinctId), findPerson.get(otherId), (person) => Boolean(isIdentified.get(person)));
    let personId: number;
    switch (decision.kind) {
      case 'new-person':
        personId = createPerson(distinctId, at, identify);
        mapDistinctId.run(otherId, personId);
        break;
      case 'map-distinct-id':
        personId = decision.personId;
        mapDistinctId.run(distinctId, personId);
        break;
      case 'map-other-id':
        personId = decision.personId;
        mapDistinctId.run(otherId, personId);
        break;
      case 'merge':
        personId = decision.personId;
        merge(decision.from, personId);
        break;
      case 'keep':
        personId = decision.personId;
        break;
    }
    if (identify) markIdentified.run(personId);
    return personId;
  }

  return { personFor, link, updateProperties };
}

export type Identity = ReturnType<typeof createIdentity>;
