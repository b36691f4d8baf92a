/**
 * The event store and identity as they were before persons and distinct-id rows waited for multi-row inserts (commit
 * 1939612, comments left out): one statement per person, per distinct id and per lookup. Tests hold the store to
 * storing exactly what this one stores, ids included.
 */
import type { Database, Statement } from 'better-sqlite3';
import { uuidv7 } from 'uuidv7';
import { decideLink, mergeTarget } from '../../api/ingest/identity.ts';
import type { StoreEvent } from '../../api/ingest/store.ts';

const ROWS_PER_INSERT = 32;
const EVENT_COLUMNS = '(uuid, event, distinct_id, person_id, timestamp, received_at, properties)';
const ROW_PLACEHOLDERS = '(?, ?, ?, ?, ?, ?, ?)';
const ROW_WIDTH = 7;

interface PersonState {
  identified: boolean | undefined;
  propertiesJson: string | undefined;
  markIdentified: boolean;
  propertiesChanged: boolean;
}

function createReferenceIdentity(sqlite: Database, options: { beforeMerge?: () => void } = {}) {
  const findPerson = sqlite.prepare<[string], number>('SELECT person_id FROM person_distinct_ids WHERE distinct_id = ?').pluck();
  const insertPerson = sqlite
    .prepare<[string, number, number], number>("INSERT INTO persons (uuid, properties, is_identified, created_at) VALUES (?, '{}', ?, ?) RETURNING id")
    .pluck();
  const mapDistinctId = sqlite.prepare<[string, number]>('INSERT INTO person_distinct_ids (distinct_id, person_id) VALUES (?, ?)');
  const isIdentified = sqlite.prepare<[number], number>('SELECT is_identified FROM persons WHERE id = ?').pluck();
  const markIdentified = sqlite.prepare<[number]>('UPDATE persons SET is_identified = 1 WHERE id = ?');
  const readProperties = sqlite.prepare<[number], string>('SELECT properties FROM persons WHERE id = ?').pluck();
  const writeProperties = sqlite.prepare<[string, number]>('UPDATE persons SET properties = ? WHERE id = ?');
  const writeIdentifiedProperties = sqlite.prepare<[string, number]>('UPDATE persons SET properties = ?, is_identified = 1 WHERE id = ?');
  const moveDistinctIds = sqlite.prepare<[number, number]>('UPDATE person_distinct_ids SET person_id = ? WHERE person_id = ?');
  const moveEvents = sqlite.prepare<[number, number]>('UPDATE events SET person_id = ? WHERE person_id = ?');
  const deletePerson = sqlite.prepare<[number]>('DELETE FROM persons WHERE id = ?');

  let known = new Map<string, number>();
  let mergedInto = new Map<number, number>();
  let persons = new Map<number, PersonState>();
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
  }

  function assertActive() {
    if (!active) throw new Error('identity: used outside begin()/end()');
  }

  function finish() {
    assertActive();
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
    mapDistinctId.run(distinctId, personId);
    known.set(distinctId, personId);
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
    const id = insertPerson.get(uuidv7(), identified ? 1 : 0, at)!;
    map(distinctId, id);
    persons.set(id, { identified, propertiesJson: '{}', markIdentified: false, propertiesChanged: false });
    return id;
  }

  function personFor(distinctId: string, at: number): number {
    return find(distinctId) ?? createPerson(distinctId, at);
  }

  function updateProperties(personId: number, set?: Record<string, unknown>, setOnce?: Record<string, unknown>) {
    if (!set && !setOnce) return;
    assertActive();
    const current = JSON.parse(propertiesJsonOf(personId)) as Record<string, unknown>;
    const next = { ...setOnce, ...current, ...set };
    const state = persons.get(personId)!;
    state.propertiesJson = JSON.stringify(next);
    state.propertiesChanged = true;
  }

  function merge(from: number, into: number) {
    options.beforeMerge?.();
    const fromProps = JSON.parse(propertiesJsonOf(from)) as Record<string, unknown>;
    moveDistinctIds.run(into, from);
    moveEvents.run(into, from);
    deletePerson.run(from);
    persons.delete(from);
    mergedInto.set(from, into);
    updateProperties(into, undefined, fromProps);
  }

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

  return { begin, finish, end, personFor, link, updateProperties };
}

export function createReferenceStore(sqlite: Database) {
  const identity = createReferenceIdentity(sqlite, { beforeMerge: () => flushRows() });
  const inserts: Statement[] = [];
  const insertRows = (rows: number) =>
    (inserts[rows] ??= sqlite.prepare(
      `INSERT INTO events ${EVENT_COLUMNS} VALUES ${Array<string>(rows).fill(ROW_PLACEHOLDERS).join(', ')} ON CONFLICT (uuid) DO NOTHING`,
    ));
  const seen = sqlite.prepare<[string], number>('SELECT 1 FROM events WHERE uuid = ?').pluck();
  let pending: Array<string | number> = [];

  function flushRows() {
    if (pending.length === 0) return;
    insertRows(pending.length / ROW_WIDTH).run(pending);
    pending = [];
  }

  function push(event: StoreEvent, personId: number) {
    pending.push(event.uuid, event.event, event.distinctId, personId, event.timestamp, event.receivedAt, event.propertiesJson);
    if (pending.length === ROWS_PER_INSERT * ROW_WIDTH) flushRows();
  }

  function isKnown(uuid: string): boolean {
    for (let i = 0; i < pending.length; i += ROW_WIDTH) if (pending[i] === uuid) return true;
    return seen.get(uuid) !== undefined;
  }

  function writeOne(event: StoreEvent) {
    const target = event.linkTarget === undefined ? mergeTarget(event) : event.linkTarget;
    if (target) {
      if (isKnown(event.uuid)) return;
      const personId = identity.link(event.distinctId, target.otherId, event.timestamp, target.identify);
      push(event, personId);
      identity.updateProperties(personId, event.set, event.setOnce);
      return;
    }
    const personId = identity.personFor(event.distinctId, event.timestamp);
    if (!event.set && !event.setOnce) {
      push(event, personId);
      return;
    }
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
    writeBatches(batches: ReadonlyArray<ReadonlyArray<StoreEvent>>) {
      transaction(batches);
    },
    writeWithinTransaction: writeAll,
  };
}
