import { uuidv7 } from 'uuidv7';
import { decideLink } from '../identity.ts';

/** A person as one chunk of the log sees it: read from the database, or created while applying the chunk. */
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
 * The identity effects of one chunk, worked out in memory over the persons its distinct ids mapped to when the chunk
 * began (`known`), so applying a chunk costs a few statements rather than several round trips per event. Its methods
 * mirror api/ingest/identity.ts step by step (and share its merge decision), so both dialects give the same persons.
 * Only correct while no one else changes the identity tables: the processor holds its advisory lock meanwhile.
 */
export function createChunkIdentity(known: ReadonlyMap<string, ChunkPerson>) {
  /** Distinct ids this chunk mapped, to be inserted (each to its person's survivor). */
  const newDistinctIds = new Map<string, ChunkPerson>();
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
    personFor: (distinctId: string, at: number) => find(distinctId) ?? createPerson(distinctId, at),
    link,
    updateProperties,
    /** Persons created by this chunk and not merged away: rows to insert. */
    createdSurvivors: () => created.filter((person) => !person.mergedInto),
    /** Persons read from the database, still standing, whose row must be updated. */
    changedKnown: () => [...new Set(known.values())].filter((person) => person.changed && !person.mergedInto),
    mergedAway: () => mergedAway,
    newDistinctIds: () => newDistinctIds,
  };
}

export type ChunkIdentity = ReturnType<typeof createChunkIdentity>;
