import { sql } from 'drizzle-orm';
import type { DatabaseDialect } from '../../db/dialect.ts';
import type { AppliedCall } from '../analytics/api-traffic/applied-call.ts';
import { classifyCall } from '../analytics/api-traffic/call.ts';
import { updateCallFacts } from '../analytics/api-traffic/fact-writes.ts';
import { addCallRollups } from '../analytics/api-traffic/rollup-writes.ts';
import { appendStateChanges, updatePersonState } from '../analytics/person-state/writes.ts';
import { fragmentsFor } from '../storage/sql/fragments.ts';
import { asBoolean, parseJsonColumn, type Row, type SqlDatabase, type SqlFragments } from '../storage/sql/interface.ts';
import { INGEST_COMMIT_LOCK } from './apply-partitions.ts';
import { type ChunkIdentity, type ChunkPerson, createChunkIdentity, type MergeTarget, mergeTarget, survivorOf } from './identity.ts';
import { pgSafeEvent } from './pg-safe-text.ts';
import { inList, MAX_IN_LIST, padded, ROWS_PER_INSERT, runSteps, type Step, slices, valuesOf } from './steps.ts';
import type { NormalizedEvent } from './validate.ts';

/**
 * An event that may carry its {@link mergeTarget} already worked out (the import's parse worker does), so the store
 * need not read `properties`; `null` means none.
 */
export type StoreEvent = NormalizedEvent & { linkTarget?: MergeTarget | null };

interface KnownRow extends Row {
  distinct_id: string;
  id: number;
  uuid: string;
  created_at: number;
  is_identified: unknown;
  properties: unknown;
}

/**
 * The persons the chunk's distinct ids map to now. Properties are read only where a `$set`, `$set_once` or merge
 * could read them: every person such an event reaches is the person of one of its own two ids.
 */
function* readKnownPersons(distinctIds: string[], propertyReaders: ReadonlySet<string>): Generator<Step, Map<string, ChunkPerson>, Row[]> {
  const byId = new Map<number, ChunkPerson>();
  const known = new Map<string, ChunkPerson>();
  for (const ids of slices(distinctIds, MAX_IN_LIST)) {
    const lookup = padded(ids);
    const readers = ids.filter((id) => propertyReaders.has(id));
    const readerList = readers.length > 0 ? padded(readers) : [];
    const rows = (yield {
      query: () =>
        sql`SELECT d.distinct_id AS distinct_id, p.id AS id, p.uuid AS uuid, p.created_at AS created_at, p.is_identified AS is_identified,
                   ${readerList.length > 0 ? sql`CASE WHEN d.distinct_id IN ${inList(readerList)} THEN p.properties END` : sql`NULL`} AS properties
              FROM person_distinct_ids d JOIN persons p ON p.id = d.person_id
             WHERE d.distinct_id IN ${inList(lookup)}`,
      returnsRows: true,
      shape: { key: `known:${readerList.length}:${lookup.length}`, values: [...readerList, ...lookup] },
    }) as KnownRow[];
    for (const row of rows) {
      const id = Number(row.id);
      let person = byId.get(id);
      if (!person) {
        person = {
          id,
          uuid: row.uuid,
          createdAt: Number(row.created_at),
          identified: asBoolean(row.is_identified),
          properties: undefined,
          changed: false,
          mergedInto: undefined,
        };
        byId.set(id, person);
      }
      if (row.properties !== null && row.properties !== undefined) person.properties ??= parseJsonColumn<Record<string, unknown>>(row.properties);
      known.set(row.distinct_id, person);
    }
  }
  return known;
}

/** Which of `uuids` are stored in `events` already. */
function* readKnownUuids(uuids: string[]): Generator<Step, Set<string>, Row[]> {
  const seen = new Set<string>();
  for (const some of slices(uuids, MAX_IN_LIST)) {
    const list = padded(some);
    const rows = yield {
      query: () => sql`SELECT uuid FROM events WHERE uuid IN ${inList(list)}`,
      returnsRows: true,
      shape: { key: `uuids:${list.length}`, values: list },
    };
    for (const row of rows) seen.add(row.uuid as string);
  }
  return seen;
}

interface EventRow {
  event: NormalizedEvent;
  person: ChunkPerson;
}

/** The `api_call` rows of a slice that its insert stored (`inserted` holds their uuids), first copy of each. */
function appliedCalls(rows: readonly EventRow[], inserted: readonly Row[]): AppliedCall[] {
  const stored = new Set(inserted.map((row) => row.uuid as string));
  const out: AppliedCall[] = [];
  for (const { event, person } of rows) {
    if (event.event !== 'api_call' || !stored.delete(event.uuid)) continue;
    out.push({ personId: survivorOf(person).id!, timestamp: event.timestamp, ...classifyCall(event.properties) });
  }
  return out;
}

/**
 * Writes what the chunk worked out, in an order the foreign keys accept: persons first (every created one, in
 * creation order, so ids are where one transaction per event would put them), merged-away persons deleted, then
 * what chunks of other persons share: the call rollups and the state change feed. Beside other appliers
 * (`concurrent`), those last ones run under the ingest commit lock, held until the commit: rollups are read and
 * written back, and feed rows must become visible in `seq` order.
 */
function* writeChunk(f: SqlFragments, identity: ChunkIdentity, rows: EventRow[], concurrent: boolean): Generator<Step, void, Row[]> {
  const created = identity.created();
  for (const some of slices(created, ROWS_PER_INSERT)) {
    // is_identified as 0/1, which SQLite stores and PostgreSQL reads as a boolean.
    const values = some.flatMap((p) => [p.uuid, JSON.stringify(p.properties ?? {}), p.identified ? 1 : 0, p.createdAt]);
    const inserted = yield {
      query: () => sql`INSERT INTO persons (uuid, properties, is_identified, created_at) VALUES ${valuesOf(values, 4)} RETURNING id, uuid`,
      returnsRows: true,
      shape: { key: `persons:${some.length}`, values },
    };
    const ids = new Map(inserted.map((row) => [row.uuid as string, Number(row.id)]));
    for (const person of some) person.id = ids.get(person.uuid);
  }
  for (const person of identity.changedKnown()) {
    // Unread properties go as NULL, which keeps the stored ones.
    const properties = person.properties === undefined ? null : JSON.stringify(person.properties);
    yield {
      query: () => sql`UPDATE persons SET properties = COALESCE(${properties}, properties), is_identified = ${person.identified} WHERE id = ${person.id}`,
      returnsRows: false,
    };
  }
  const mergedAway = identity.mergedAway();
  for (const person of mergedAway) {
    const into = survivorOf(person).id;
    yield { query: () => sql`UPDATE person_distinct_ids SET person_id = ${into} WHERE person_id = ${person.id}`, returnsRows: false };
    yield { query: () => sql`UPDATE events SET person_id = ${into} WHERE person_id = ${person.id}`, returnsRows: false };
  }
  for (const some of slices([...identity.newDistinctIds()], ROWS_PER_INSERT)) {
    const values = some.flatMap(([id, person]) => [id, survivorOf(person).id!]);
    yield {
      query: () => sql`INSERT INTO person_distinct_ids (distinct_id, person_id) VALUES ${valuesOf(values, 2)}`,
      returnsRows: false,
      shape: { key: `distinct-ids:${some.length}`, values },
    };
  }
  // In log order, so event ids follow it. The conflict clause drops a copy of a stored uuid; the copy still takes
  // its place in the insert, which keeps the id sequence where inserting every row one by one would leave it.
  // A slice holding calls returns the uuids it stored, so only calls actually inserted reach the rollups.
  const calls: AppliedCall[] = [];
  for (const some of slices(rows, ROWS_PER_INSERT)) {
    const values = some.flatMap(({ event: e, person }) => [e.uuid, e.event, e.distinctId, survivorOf(person).id!, e.timestamp, e.receivedAt, e.propertiesJson]);
    const hasCalls = some.some(({ event }) => event.event === 'api_call');
    const inserted = yield {
      query: () =>
        sql`INSERT INTO events (uuid, event, distinct_id, person_id, timestamp, received_at, properties) VALUES ${valuesOf(values, 7)} ON CONFLICT (uuid) DO NOTHING${hasCalls ? sql` RETURNING uuid` : sql``}`,
      returnsRows: hasCalls,
      shape: { key: `events:${some.length}:${hasCalls}`, values },
    };
    if (hasCalls) calls.push(...appliedCalls(some, inserted));
  }
  const merges = mergedAway.map((person) => ({ from: person.id!, into: survivorOf(person).id! }));
  yield* updateCallFacts(calls, merges);
  const changed = yield* updatePersonState(
    f,
    rows.map((row) => row.event),
    calls,
    merges,
  );
  const gone = [...mergedAway, ...created.filter((person) => person.mergedInto)].map((person) => person.id!);
  for (const some of slices(gone, MAX_IN_LIST)) yield { query: () => sql`DELETE FROM persons WHERE id IN ${inList(some)}`, returnsRows: false };
  if (concurrent && (calls.length > 0 || changed.size > 0)) yield { query: () => f.waitForLock(INGEST_COMMIT_LOCK), returnsRows: false };
  yield* addCallRollups(calls);
  yield* appendStateChanges(changed);
}

/**
 * Locks the persons the chunk's distinct ids map to, in id order (so two appliers never wait on each other in a
 * cycle), before they are read: a person whose distinct ids fall in several partitions is written by one chunk at a
 * time. The mapping itself cannot change meanwhile: only this partition's applier adds these ids, and links, which
 * move ids between persons, are applied under the exclusive apply lock.
 */
function lockPersons(fragments: SqlFragments, distinctIds: string[]): Step {
  const ids = fragments.boundRows(
    distinctIds.map((id) => [id]),
    [['distinct_id', 'text']],
  );
  return {
    query: () =>
      sql`SELECT id FROM persons WHERE id IN (SELECT person_id FROM person_distinct_ids WHERE distinct_id IN (SELECT distinct_id FROM ${ids} AS ids)) ORDER BY id ${fragments.forUpdate}`,
    returnsRows: true,
  };
}

/**
 * The statements that store one chunk of events with their identity effects, on either dialect: a known uuid is
 * skipped (so a retry neither double-counts nor re-applies a merge or `$set`), each distinct id resolves to its
 * person, `$identify` / `$create_alias` link and merge persons as PostHog does, `$set` / `$set_once` update the
 * person. The chunk reads the identity tables once, works the effects out in memory (api/ingest/identity.ts) and
 * writes them back in a few multi-row statements. A generator, so that one text serves SQLite's synchronous driver
 * and the asynchronous one of {@link SqlDatabase}: it yields each statement and is handed back its rows.
 */
export function* storeChunk(
  dialect: DatabaseDialect,
  batches: ReadonlyArray<ReadonlyArray<StoreEvent>>,
  concurrent?: SqlFragments,
): Generator<Step, void, Row[]> {
  const events: NormalizedEvent[] = [];
  const targets: Array<MergeTarget | undefined> = [];
  for (const batch of batches) {
    for (const original of batch) {
      // PostgreSQL cannot store NUL or lone surrogates; SQLite stores the text as it came.
      const event = dialect === 'postgres' ? pgSafeEvent(original) : original;
      events.push(event);
      targets.push(event === original && original.linkTarget !== undefined ? (original.linkTarget ?? undefined) : mergeTarget(event));
    }
  }
  if (events.length === 0) return;
  const distinctIds = new Set<string>();
  const propertyReaders = new Set<string>();
  const effectUuids: string[] = [];
  for (const [i, event] of events.entries()) {
    const target = targets[i];
    distinctIds.add(event.distinctId);
    if (target) distinctIds.add(target.otherId);
    if (target || event.set || event.setOnce) {
      propertyReaders.add(event.distinctId);
      if (target) propertyReaders.add(target.otherId);
      effectUuids.push(event.uuid);
    }
  }
  if (concurrent) yield lockPersons(concurrent, [...distinctIds]);
  const known = yield* readKnownPersons([...distinctIds], propertyReaders);
  // Only an event with an identity effect must know whether its uuid is stored already (to skip a replayed merge or
  // $set); a plain copy is dropped by the insert's conflict clause.
  const seen = effectUuids.length > 0 ? yield* readKnownUuids(effectUuids) : new Set<string>();
  const identity = createChunkIdentity(known);
  const rows: EventRow[] = [];
  for (const [i, event] of events.entries()) {
    const target = targets[i];
    if (target) {
      // A merge must not be replayed by a retry, so a known uuid is skipped before anything moves.
      if (seen.has(event.uuid)) continue;
      const person = identity.link(event.distinctId, target.otherId, event.timestamp, target.identify);
      seen.add(event.uuid);
      rows.push({ event, person });
      identity.updateProperties(person, event.set, event.setOnce);
      continue;
    }
    // Resolved even for a repeated uuid: a retry with a new distinct id still maps it.
    const person = identity.personFor(event.distinctId, event.timestamp);
    // `$set` is applied only by the event's first copy.
    const first = !seen.has(event.uuid);
    seen.add(event.uuid);
    rows.push({ event, person });
    if (first) identity.updateProperties(person, event.set, event.setOnce);
  }
  yield* writeChunk(fragmentsFor(dialect), identity, rows, concurrent !== undefined);
}

/**
 * Stores events with their identity effects inside the caller's transaction, on either dialect. The transaction must
 * hold the ingest apply lock (`INGEST_APPLY_LOCK`, api/ingest/log-processor.ts; on SQLite its write lock), or, with
 * `concurrent`, one apply partition's lock: then the events hold no identity link, all their distinct ids fall in
 * that partition, and other partitions' chunks may be written at the same time.
 */
export async function writeEvents(database: SqlDatabase, batches: ReadonlyArray<ReadonlyArray<StoreEvent>>, concurrent = false): Promise<void> {
  await runSteps(database, storeChunk(database.dialect, batches, concurrent ? database.fragments : undefined));
}
