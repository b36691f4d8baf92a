/**
 * The event store remembers distinct id → person (and the persons' properties) for one transaction and holds event
 * rows back for multi-row inserts. These tests hold that memory to what the database says: after a merge inside one
 * chunk, after another writer changed persons between chunks, after a rolled-back chunk, and, as a property, that one
 * big transaction gives exactly the rows (ids included) that one transaction per event gives.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type NormalizedEvent, validateCapture } from '../api/ingest/validate.ts';
import type { OnrampDb } from '../db/client.ts';
import { createReferenceStore } from './import/reference-store.ts';
import { testDb } from './support/app.ts';
import { createEventStore } from './support/sync-event-store.ts';

const TOKEN = 'phc_identity_cache';
let sequence = 0;

/** A validated event; `uuid` repeats an earlier event's when given. */
function event(distinctId: string, name: string, properties: Record<string, unknown> = {}, uuid?: string): NormalizedEvent {
  sequence += 1;
  const [e] = validateCapture(
    {
      api_key: TOKEN,
      batch: [
        {
          uuid: uuid ?? `0190a000-0000-7000-8000-${String(sequence).padStart(12, '0')}`,
          event: name,
          distinct_id: distinctId,
          timestamp: 1_700_000_000_000 + sequence,
          properties,
        },
      ],
    },
    { projectToken: TOKEN, receivedAt: 1_800_000_000_000 },
  );
  return e!;
}

const identify = (distinctId: string, anonId: string, set?: Record<string, unknown>) =>
  event(distinctId, '$identify', { $anon_distinct_id: anonId, ...(set ? { $set: set } : {}) });

function personOf(db: OnrampDb, distinctId: string): number | undefined {
  return db.$client.prepare('SELECT person_id FROM person_distinct_ids WHERE distinct_id = ?').pluck().get(distinctId) as number | undefined;
}

function eventPerson(db: OnrampDb, uuid: string): number | undefined {
  return db.$client.prepare('SELECT person_id FROM events WHERE uuid = ?').pluck().get(uuid) as number | undefined;
}

function properties(db: OnrampDb, personId: number): Record<string, unknown> {
  return JSON.parse(db.$client.prepare('SELECT properties FROM persons WHERE id = ?').pluck().get(personId) as string);
}

/** Everything the store writes, ids and the AUTOINCREMENT counters included (person uuids are random, so left out). */
function snapshot(db: OnrampDb) {
  const all = (sql: string) => db.$client.prepare(sql).raw().all();
  return {
    events: all('SELECT id, uuid, event, distinct_id, person_id, timestamp, received_at, properties FROM events ORDER BY id'),
    persons: all('SELECT id, properties, is_identified, created_at FROM persons ORDER BY id'),
    distinctIds: all('SELECT distinct_id, person_id FROM person_distinct_ids ORDER BY distinct_id'),
    sequences: all("SELECT name, seq FROM sqlite_sequence WHERE name IN ('events', 'persons') ORDER BY name"),
    // Rows of the map in insertion order (its rowids), and the person uuids' order (time-ordered, so the ids' order).
    distinctIdRows: all('SELECT rowid, distinct_id FROM person_distinct_ids ORDER BY rowid'),
    personsByUuid: all('SELECT id FROM persons ORDER BY uuid'),
  };
}

const ids = ['a', 'b', 'c', 'd', 'e', 'anonymous', '7'];
const kinds = ['$pageview', '$identify', '$create_alias', '$set', 'set-top', 'dup'] as const;
const step = fc.record({
  kind: fc.constantFrom(...kinds),
  id: fc.constantFrom(...ids),
  other: fc.constantFrom(...ids),
  key: fc.constantFrom('p', 'q', '1'),
  value: fc.integer({ min: 0, max: 3 }),
  back: fc.nat(20),
});
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** Events of every kind the store treats differently: links, refused links, `$set`s, repeated uuids. */
function eventsOf(steps: Step[]): NormalizedEvent[] {
  const events: NormalizedEvent[] = [];
  for (const s of steps) {
    const set = { [s.key]: s.value };
    if (s.kind === 'dup' && events.length > 0) {
      const earlier = events[Math.max(0, events.length - 1 - s.back)]!;
      events.push(event(s.id, s.value % 2 ? '$identify' : '$set', { $anon_distinct_id: s.other, $set: set }, earlier.uuid));
    } else if (s.kind === '$identify')
      events.push(event(s.id, '$identify', { $anon_distinct_id: s.other, ...(s.value % 2 ? { $set: set } : { $set_once: set }) }));
    else if (s.kind === '$create_alias') events.push(event(s.id, '$create_alias', { alias: s.other }));
    else if (s.kind === '$set') events.push(event(s.id, '$set', { $set: set, $set_once: { [s.other]: s.value } }));
    else if (s.kind === 'set-top') events.push(event(s.id, 'plan_changed', s.value ? { $set_once: set } : {}));
    else events.push(event(s.id, '$pageview', { path: s.key }));
  }
  return events;
}

/** Writes `events` in chunks of the given sizes (one transaction each), each split into batches of up to 7 events. */
function writeInChunks(write: (batches: NormalizedEvent[][]) => void, events: NormalizedEvent[], cuts: number[]) {
  let at = 0;
  for (let i = 0; at < events.length; i++) {
    const chunk = events.slice(at, at + cuts[i % cuts.length]!);
    at += chunk.length;
    const batches = [];
    for (let k = 0; k < chunk.length; k += 7) batches.push(chunk.slice(k, k + 7));
    write(batches);
  }
}

describe('event store: per-transaction identity memory', () => {
  it('an event after a merge in the same chunk goes to the surviving person, not the merged-away one', () => {
    const db = testDb();
    const store = createEventStore(db.$client);
    const a = event('anon-1', '$pageview');
    const b = event('user-1', '$pageview');
    // user-1 and anon-1 are two persons until this alias merges anon-1's person into user-1's ($create_alias, unlike
    // $identify, leaves the person unidentified, so the second merge below may fold it in turn).
    const merge = event('user-1', '$create_alias', { alias: 'anon-1', $set: { plan: 'pro' } });
    const afterAnon = event('anon-1', 'signed_up');
    const setViaAnon = event('anon-1', '$set', { $set: { seen: 2 }, $set_once: { plan: 'free', first: 1 } });
    // A second merge folds user-1's person into user-2's, so anon-1 is now two merges away from its first person.
    const other = event('user-2', '$pageview');
    const alias = event('user-2', '$create_alias', { alias: 'user-1' });
    const afterBoth = event('anon-1', 'api_call');
    store.writeBatches([
      [a, b, merge, afterAnon, setViaAnon],
      [other, alias, afterBoth],
    ]);

    const survivor = personOf(db, 'user-2')!;
    expect(personOf(db, 'anon-1')).toBe(survivor);
    expect(personOf(db, 'user-1')).toBe(survivor);
    for (const e of [a, b, merge, afterAnon, setViaAnon, other, alias, afterBoth]) expect(eventPerson(db, e.uuid)).toBe(survivor);
    expect(db.$client.prepare('SELECT COUNT(*) FROM persons').pluck().get()).toBe(1);
    expect(properties(db, survivor)).toEqual({ plan: 'pro', seen: 2, first: 1 });
    expect(db.$client.prepare('SELECT is_identified FROM persons WHERE id = ?').pluck().get(survivor)).toBe(0);
  });

  it('an identified person is not merged away, and an event of its id keeps going to it', () => {
    const db = testDb();
    const store = createEventStore(db.$client);
    const first = [event('anon-1', '$pageview'), identify('user-1', 'anon-1', { plan: 'pro' })];
    const refused = event('user-2', '$create_alias', { alias: 'user-1' });
    const after = event('anon-1', 'signed_up');
    store.writeBatches([[...first, event('user-2', '$pageview'), refused, after]]);
    const user1 = personOf(db, 'user-1')!;
    expect(personOf(db, 'anon-1')).toBe(user1);
    expect(personOf(db, 'user-2')).not.toBe(user1);
    expect(eventPerson(db, after.uuid)).toBe(user1);
    expect(eventPerson(db, refused.uuid)).toBe(personOf(db, 'user-2'));
    expect(db.$client.prepare('SELECT is_identified FROM persons WHERE id = ?').pluck().get(user1)).toBe(1);
    expect(properties(db, user1)).toEqual({ plan: 'pro' });
  });

  it('a duplicate uuid waiting in the held-back rows is skipped like a stored one: no second merge, no second $set', () => {
    const db = testDb();
    const store = createEventStore(db.$client);
    const set = event('u', '$set', { $set: { n: 1 } });
    const again = event('u', '$set', { $set: { n: 2 } }, set.uuid);
    const anon = event('anon', '$pageview');
    const link = identify('u', 'anon');
    const linkAgain = event('u', '$identify', { $anon_distinct_id: 'other-anon' }, link.uuid);
    store.writeBatches([[set, again, anon, link, linkAgain]]);
    expect(properties(db, personOf(db, 'u')!)).toEqual({ n: 1 });
    expect(personOf(db, 'other-anon')).toBeUndefined();
    expect(db.$client.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBe(3);
  });

  it('a repeated $set event still uses up an event id, as the insert that drops it always did', () => {
    const db = testDb();
    const store = createEventStore(db.$client);
    const set = event('u', '$set', { $set: { n: 1 } });
    const next = event('u', '$pageview');
    store.writeBatches([[set, event('u', '$set', { $set: { n: 2 } }, set.uuid), next]]);
    const ids = db.$client.prepare('SELECT id FROM events ORDER BY id').pluck().all();
    expect(ids).toEqual([1, 3]);
    expect(db.$client.prepare('SELECT id FROM events WHERE uuid = ?').pluck().get(next.uuid)).toBe(3);
  });

  it('forgets persons between transactions: a merge by another writer in between is seen', () => {
    const db = testDb();
    const store = createEventStore(db.$client);
    store.writeBatches([[event('x', '$pageview'), event('y', '$pageview')]]);
    const x = personOf(db, 'x')!;
    const y = personOf(db, 'y')!;
    // Another process (the live server) merges x's person into y's between two import chunks.
    db.$client.prepare('UPDATE person_distinct_ids SET person_id = ? WHERE person_id = ?').run(y, x);
    db.$client.prepare('UPDATE events SET person_id = ? WHERE person_id = ?').run(y, x);
    db.$client.prepare('DELETE FROM persons WHERE id = ?').run(x);
    db.$client.prepare('UPDATE persons SET properties = ? WHERE id = ?').run('{"from":"server"}', y);
    const later = event('x', '$set', { $set: { later: true } });
    store.writeBatches([[later]]);
    expect(eventPerson(db, later.uuid)).toBe(y);
    expect(properties(db, y)).toEqual({ from: 'server', later: true });
  });

  it('forgets persons of a rolled-back transaction', () => {
    const db = testDb();
    const store = createEventStore(db.$client);
    const failing = db.$client.transaction(() => {
      store.writeWithinTransaction([[event('ghost', '$pageview'), event('ghost', '$set', { $set: { a: 1 } })]]);
      throw new Error('rolled back');
    });
    expect(() => failing()).toThrow('rolled back');
    expect(personOf(db, 'ghost')).toBeUndefined();
    const next = event('ghost', '$set', { $set: { b: 2 } });
    store.writeBatches([[next]]);
    const person = personOf(db, 'ghost')!;
    expect(eventPerson(db, next.uuid)).toBe(person);
    expect(properties(db, person)).toEqual({ b: 2 });
  });

  it('one transaction for many events stores exactly what one transaction per event stores', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 80 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 10 }),
        (steps, cuts) => {
          const events = eventsOf(steps);
          const oneByOne = testDb();
          const store1 = createEventStore(oneByOne.$client);
          for (const e of events) store1.writeBatches([[e]]);
          const chunked = testDb();
          const store2 = createEventStore(chunked.$client);
          writeInChunks((batches) => store2.writeBatches(batches), events, cuts);
          expect(snapshot(chunked)).toEqual(snapshot(oneByOne));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('stores exactly what the one-statement-per-row store stored, ids included, also after another writer deleted the newest person', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 120 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 10 }),
        fc.nat(40),
        (steps, cuts, split) => {
          const events = eventsOf(steps);
          const dbs = [testDb(), testDb()];
          const writers = [createEventStore(dbs[0]!.$client), createReferenceStore(dbs[1]!.$client)];
          dbs.forEach((db, i) => {
            writeInChunks((batches) => writers[i]!.writeBatches(batches), events.slice(0, split), cuts);
            // Another writer (a server merging persons) deletes the newest person: AUTOINCREMENT must not reuse its id.
            const newest = db.$client.prepare('SELECT MAX(id) FROM persons').pluck().get() as number | null;
            if (newest !== null) {
              db.$client.prepare('DELETE FROM person_distinct_ids WHERE person_id = ?').run(newest);
              db.$client.prepare('DELETE FROM events WHERE person_id = ?').run(newest);
              db.$client.prepare('DELETE FROM persons WHERE id = ?').run(newest);
            }
            writeInChunks((batches) => writers[i]!.writeBatches(batches), events.slice(split), cuts);
          });
          expect(snapshot(dbs[0]!)).toEqual(snapshot(dbs[1]!));
        },
      ),
      { numRuns: 150 },
    );
  });
});
