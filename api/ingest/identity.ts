import type { Database, Statement } from 'better-sqlite3';
import { V7Generator } from 'uuidv7';
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

/** What one transaction knows of a person it touched; written back by `finish`. */
interface PersonState {
  /** Undefined until read (or set) in this transaction. */
  identified: boolean | undefined;
  /** The serialized properties, as the row holds them (or will, once written back); undefined until read. */
  propertiesJson: string | undefined;
  /** `is_identified` must be set to 1. */
  markIdentified: boolean;
  /** `propertiesJson` differs from the row. */
  propertiesChanged: boolean;
}

export interface IdentityOptions {
  /** Runs before a merge moves events, so the caller can insert the rows it holds back first. */
  beforeMerge?: () => void;
}

/**
 * Person uuids: UUIDv7s as the package's own `uuidv7()` makes them, but drawing random numbers from a larger pool
 * (its default refills a 32-byte buffer from the system every few uuids, a sixth of creating a person).
 */
const personUuids = new V7Generator(pooledRandom());

function pooledRandom() {
  const buffer = new Uint32Array(1024);
  let cursor = buffer.length;
  return {
    nextUint32(): number {
      if (cursor === buffer.length) {
        crypto.getRandomValues(buffer);
        cursor = 0;
      }
      return buffer[cursor++]!;
    },
  };
}

/** Most rows one multi-row INSERT of persons or distinct ids takes; the store flushes far more often than this. */
const ROWS_PER_INSERT = 32;

const PERSON_ROW = '(?, ?, ?, ?, ?)';
const DISTINCT_ID_ROW = '(?, ?)';

/** `rows` copies of one row's placeholders, for a multi-row VALUES list. */
function placeholders(rows: number, row: string): string {
  return Array<string>(rows).fill(row).join(', ');
}

/** A statement for each row count, prepared when first needed. */
function bySize(prepare: (rows: number) => Statement) {
  const statements: Statement[] = [];
  return (rows: number) => (statements[rows] ??= prepare(rows));
}

/**
 * Resolves distinct ids to persons and merges persons, using prepared statements on the caller's transaction.
 * Merges repoint the distinct-id map and the events, so every report sees one person without a join.
 *
 * Call `begin` inside the transaction before use, `finish` before it commits and `end` when it is over (committed or
 * not): in between, the distinct ids and persons it reads or makes are remembered, and person rows are written once by
 * `finish` instead of once per `$set`. That memory is valid only inside one transaction (another process, such as
 * the live server, may merge persons between two), so `end` drops it.
 *
 * New persons and distinct-id rows wait for multi-row inserts (one statement for many rows costs far less than one
 * each): `flush` writes them, and must run before anything else reads or references those rows (the caller's event
 * rows point at persons). A new person's id is worked out in advance, as AUTOINCREMENT would assign it: the
 * transaction holds the write lock, and only this code inserts persons.
 */
export function createIdentity(sqlite: Database, options: IdentityOptions = {}) {
  const findPerson = sqlite.prepare<[string], number>('SELECT person_id FROM person_distinct_ids WHERE distinct_id = ?').pluck();
  // AUTOINCREMENT gives one more than the largest id the table ever had: its sqlite_sequence entry or its largest row.
  const nextPersonIdInTable = sqlite
    .prepare<[], number>(
      "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'persons'), 0), COALESCE((SELECT MAX(id) FROM persons), 0)) + 1",
    )
    .pluck();
  const insertPersons = bySize((rows) =>
    sqlite.prepare(`INSERT INTO persons (id, uuid, properties, is_identified, created_at) VALUES ${placeholders(rows, PERSON_ROW)}`),
  );
  const mapDistinctIds = bySize((rows) => sqlite.prepare(`INSERT INTO person_distinct_ids (distinct_id, person_id) VALUES ${placeholders(rows, DISTINCT_ID_ROW)}`));
  const isIdentified = sqlite.prepare<[number], number>('SELECT is_identified FROM persons WHERE id = ?').pluck();
  const markIdentified = sqlite.prepare<[number]>('UPDATE persons SET is_identified = 1 WHERE id = ?');
  const readProperties = sqlite.prepare<[number], string>('SELECT properties FROM persons WHERE id = ?').pluck();
  const writeProperties = sqlite.prepare<[string, number]>('UPDATE persons SET properties = ? WHERE id = ?');
  const writeIdentifiedProperties = sqlite.prepare<[string, number]>('UPDATE persons SET properties = ?, is_identified = 1 WHERE id = ?');
  const moveDistinctIds = sqlite.prepare<[number, number]>('UPDATE person_distinct_ids SET person_id = ? WHERE person_id = ?');
  const moveEvents = sqlite.prepare<[number, number]>('UPDATE events SET person_id = ? WHERE person_id = ?');
  const deletePerson = sqlite.prepare<[number]>('DELETE FROM persons WHERE id = ?');

  /** Distinct id → person, as read or mapped in this transaction; an entry may name a person merged away since. */
  let known = new Map<string, number>();
  /** Person merged away in this transaction → the one it was merged into (ids are AUTOINCREMENT: never reused). */
  let mergedInto = new Map<number, number>();
  let persons = new Map<number, PersonState>();
  /** The id the next new person gets; read when the transaction creates its first person. */
  let nextPersonId: number | undefined;
  /** New persons not inserted yet, in creation order: [id, uuid, created_at] each. */
  let unwrittenPersons: Array<string | number> = [];
  /** Distinct-id rows not inserted yet, in mapping order: [distinct_id, person_id] each. */
  let unwrittenIds: Array<string | number> = [];
  let active = false;

  function begin() {
    if (active) throw new Error('identity: begin() twice without end()');
    active = true;
  }

  function end() {
    active = false;
    if (known.size > 0) known = new Map();
    if (mergedInto.size > 0) mergedInto = new Map();
    if (persons.size > 0) persons = new Map();
    nextPersonId = undefined;
    unwrittenPersons = [];
    unwrittenIds = [];
  }

  function assertActive() {
    if (!active) throw new Error('identity: used outside begin()/end()');
  }

  /** Inserts the persons and distinct-id rows still waiting, persons first (the map's rows point at them). */
  function flush() {
    if (unwrittenPersons.length > 0) {
      const params: Array<string | number> = [];
      for (let i = 0; i < unwrittenPersons.length; i += 3) {
        const id = unwrittenPersons[i] as number;
        const state = persons.get(id)!;
        params.push(id, unwrittenPersons[i + 1]!, state.propertiesJson!, state.identified ? 1 : 0, unwrittenPersons[i + 2]!);
        // The row now holds the person's state as it is.
        state.propertiesChanged = false;
        state.markIdentified = false;
      }
      insertPersons(unwrittenPersons.length / 3).run(params);
      unwrittenPersons = [];
    }
    if (unwrittenIds.length > 0) {
      mapDistinctIds(unwrittenIds.length / 2).run(unwrittenIds);
      unwrittenIds = [];
    }
  }

  /** Writes back what the transaction changed in person rows. */
  function finish() {
    assertActive();
    flush();
    for (const [id, state] of persons) {
      if (state.propertiesChanged) (state.markIdentified ? writeIdentifiedProperties : writeProperties).run(state.propertiesJson!, id);
      else if (state.markIdentified) markIdentified.run(id);
      state.propertiesChanged = false;
      state.markIdentified = false;
    }
  }

  function find(distinctId: string): number | undefined {
    let id = known.get(distinctId);
    if (id === undefined) {
      assertActive();
      // The map in the database is current: merges move its rows at once.
      id = findPerson.get(distinctId);
      if (id !== undefined) known.set(distinctId, id);
      return id;
    }
    if (mergedInto.size > 0) {
      const first = id;
      for (let next = mergedInto.get(id); next !== undefined; next = mergedInto.get(id)) id = next;
      if (id !== first) known.set(distinctId, id);
    }
    return id;
  }

  function map(distinctId: string, personId: number) {
    unwrittenIds.push(distinctId, personId);
    known.set(distinctId, personId);
    if (unwrittenIds.length >= ROWS_PER_INSERT * 2) flush();
  }

  function stateOf(personId: number): PersonState {
    let state = persons.get(personId);
    if (!state) {
      state = { identified: undefined, propertiesJson: undefined, markIdentified: false, propertiesChanged: false };
      persons.set(personId, state);
    }
    return state;
  }

  function propertiesJsonOf(personId: number): string {
    const state = stateOf(personId);
    return (state.propertiesJson ??= readProperties.get(personId) ?? '{}');
  }

  function identified(personId: number): boolean {
    const state = stateOf(personId);
    return (state.identified ??= Boolean(isIdentified.get(personId)));
  }

  function createPerson(distinctId: string, at: number, identified = false): number {
    assertActive();
    const id = (nextPersonId ??= nextPersonIdInTable.get()!);
    nextPersonId = id + 1;
    persons.set(id, { identified, propertiesJson: '{}', markIdentified: false, propertiesChanged: false });
    unwrittenPersons.push(id, personUuids.generate().toString(), at);
    // Persons before the distinct ids that point at them: a full batch of either is written as a whole.
    if (unwrittenPersons.length >= ROWS_PER_INSERT * 3) flush();
    map(distinctId, id);
    return id;
  }

  function personFor(distinctId: string, at: number): number {
    return find(distinctId) ?? createPerson(distinctId, at);
  }

  function updateProperties(personId: number, set?: Record<string, unknown>, setOnce?: Record<string, unknown>) {
    if (!set && !setOnce) return;
    assertActive();
    // Through the serialized form, exactly as if the row were read and written each time.
    const current = JSON.parse(propertiesJsonOf(personId)) as Record<string, unknown>;
    const next = { ...setOnce, ...current, ...set };
    const state = persons.get(personId)!;
    state.propertiesJson = JSON.stringify(next);
    state.propertiesChanged = true;
  }

  /** Folds `from` into `into`: `into`'s properties win, `from` only fills gaps. */
  function merge(from: number, into: number) {
    flush();
    options.beforeMerge?.();
    const fromProps = JSON.parse(propertiesJsonOf(from)) as Record<string, unknown>;
    moveDistinctIds.run(into, from);
    moveEvents.run(into, from);
    deletePerson.run(from);
    persons.delete(from);
    mergedInto.set(from, into);
    updateProperties(into, undefined, fromProps);
  }

  /**
   * Links `otherId` (the anonymous id of an `$identify`, or the alias of a `$create_alias`) to `distinctId`'s person,
   * following PostHog: a new id joins the existing person; two existing persons merge unless the other one was
   * already identified (that would fuse two known users).
   */
  function link(distinctId: string, otherId: string, at: number, identify: boolean): number {
    const decision = decideLink(find(distinctId), find(otherId), identified);
    let personId: number;
    switch (decision.kind) {
      case 'new-person':
        personId = createPerson(distinctId, at, identify);
        map(otherId, personId);
        break;
      case 'map-distinct-id':
        personId = decision.personId;
        map(distinctId, personId);
        break;
      case 'map-other-id':
        personId = decision.personId;
        map(otherId, personId);
        break;
      case 'merge':
        personId = decision.personId;
        merge(decision.from, personId);
        break;
      case 'keep':
        personId = decision.personId;
        break;
    }
    if (identify) {
      const state = stateOf(personId);
      if (state.identified !== true) {
        state.identified = true;
        state.markIdentified = true;
      }
    }
    return personId;
  }

  return { begin, flush, finish, end, personFor, link, updateProperties };
}

export type Identity = ReturnType<typeof createIdentity>;
