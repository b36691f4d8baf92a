import type { Database } from 'better-sqlite3';
import { uuidv7 } from 'uuidv7';

/** Distinct ids that buggy clients send for everyone; merging on them would fuse strangers into one person. */
const ILLEGAL_MERGE_IDS = new Set(['', 'anonymous', 'null', 'undefined', 'none', 'nil', '0', '[object object]', 'distinct_id', 'id', 'not_authenticated', 'guest', 'true', 'false']);

export function isMergeableId(id: string): boolean {
  return !ILLEGAL_MERGE_IDS.has(id.trim().toLowerCase());
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
    const own = findPerson.get(distinctId);
    const other = findPerson.get(otherId);
    let personId: number;
    if (own === undefined && other === undefined) {
      personId = createPerson(distinctId, at, identify);
      mapDistinctId.run(otherId, personId);
    } else if (own === undefined) {
      personId = other!;
      mapDistinctId.run(distinctId, personId);
    } else if (other === undefined) {
      personId = own;
      mapDistinctId.run(otherId, personId);
    } else {
      personId = own;
      if (own !== other && !isIdentified.get(other)) merge(other, own);
    }
    if (identify) markIdentified.run(personId);
    return personId;
  }

  return { personFor, link, updateProperties };
}

export type Identity = ReturnType<typeof createIdentity>;
