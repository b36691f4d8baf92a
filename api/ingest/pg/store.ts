import type pg from 'pg';
import { mergeTarget } from '../identity.ts';
import type { NormalizedEvent } from '../validate.ts';
import { createChunkIdentity, survivorOf, type ChunkPerson } from './identity.ts';
import { pgSafeEvent } from './sanitize.ts';

/** A connection inside the caller's transaction. */
export type PgQueryable = Pick<pg.ClientBase, 'query'>;

interface EventRow {
  event: NormalizedEvent;
  person: ChunkPerson;
}

interface KnownRow {
  distinct_id: string;
  id: string;
  uuid: string;
  created_at: string;
  is_identified: boolean;
  properties: Record<string, unknown> | null;
}

/** The (from person, into person) pairs of a chunk's merges, as a relation: parameters $1 and $2. */
const MERGE_MOVES = 'unnest($1::bigint[], $2::bigint[]) AS m(from_id, into_id)';

/**
 * The persons the chunk's distinct ids map to now. Properties are read only where a `$set`, `$set_once` or merge
 * could read them: every person such an event reaches is the person of one of its own two ids.
 */
async function readKnownPersons(client: PgQueryable, distinctIds: string[], propertyReaders: string[]): Promise<Map<string, ChunkPerson>> {
  const { rows } = await client.query<KnownRow>(
    `SELECT d.distinct_id, p.id::text AS id, p.uuid, p.created_at::text AS created_at, p.is_identified,
            CASE WHEN d.distinct_id = ANY($2::text[]) THEN p.properties END AS properties
       FROM person_distinct_ids d JOIN persons p ON p.id = d.person_id
      WHERE d.distinct_id = ANY($1::text[])`,
    [distinctIds, propertyReaders],
  );
  const byId = new Map<string, ChunkPerson>();
  const known = new Map<string, ChunkPerson>();
  for (const row of rows) {
    let person = byId.get(row.id);
    if (!person) {
      person = {
        id: Number(row.id),
        uuid: row.uuid,
        createdAt: Number(row.created_at),
        identified: row.is_identified,
        properties: undefined,
        changed: false,
        mergedInto: undefined,
      };
      byId.set(row.id, person);
    }
    person.properties ??= row.properties ?? undefined;
    known.set(row.distinct_id, person);
  }
  return known;
}

async function readKnownUuids(client: PgQueryable, uuids: string[]): Promise<Set<string>> {
  if (uuids.length === 0) return new Set();
  const { rows } = await client.query<{ uuid: string }>('SELECT uuid FROM events WHERE uuid = ANY($1::text[])', [uuids]);
  return new Set(rows.map((row) => row.uuid));
}

/** Person rows as one JSON array for jsonb_to_recordset; unread properties go as null, leaving the stored ones. */
const personsJson = (persons: ChunkPerson[]) =>
  JSON.stringify(
    persons.map((p) => ({ id: p.id, uuid: p.uuid, properties: p.properties ?? null, is_identified: p.identified, created_at: p.createdAt })),
  );

/** Events as one JSON array for jsonb_to_recordset; the properties go in as the text validation already made. */
function eventsJson(rows: EventRow[]): string {
  return `[${rows
    .map(
      ({ event: e, person }) =>
        `{"uuid":"${e.uuid}","event":${JSON.stringify(e.event)},"distinct_id":${JSON.stringify(e.distinctId)},"person_id":${survivorOf(person).id},"timestamp":${e.timestamp},"received_at":${e.receivedAt},"properties":${e.propertiesJson}}`,
    )
    .join(',')}]`;
}

/** Writes what the chunk worked out, in an order the foreign keys accept: new persons first, merged ones last. */
async function writeChunk(client: PgQueryable, identity: ReturnType<typeof createChunkIdentity>, rows: EventRow[]) {
  const created = identity.createdSurvivors();
  if (created.length > 0) {
    const { rows: inserted } = await client.query<{ id: string; uuid: string }>(
      `INSERT INTO persons (uuid, properties, is_identified, created_at)
       SELECT uuid, properties, is_identified, created_at
         FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (uuid text, properties jsonb, is_identified boolean, created_at bigint))
              WITH ORDINALITY AS p(uuid, properties, is_identified, created_at, n)
        ORDER BY n
       RETURNING id::text, uuid`,
      [personsJson(created)],
    );
    const ids = new Map(inserted.map((row) => [row.uuid, Number(row.id)]));
    for (const person of created) person.id = ids.get(person.uuid);
  }
  const changed = identity.changedKnown();
  if (changed.length > 0) {
    await client.query(
      `UPDATE persons SET properties = COALESCE(c.properties, persons.properties), is_identified = c.is_identified
         FROM jsonb_to_recordset($1::jsonb) AS c(id bigint, properties jsonb, is_identified boolean)
        WHERE persons.id = c.id`,
      [personsJson(changed)],
    );
  }
  const merged = identity.mergedAway();
  if (merged.length > 0) {
    const from = merged.map((p) => p.id);
    const into = merged.map((p) => survivorOf(p).id);
    await client.query(`UPDATE person_distinct_ids SET person_id = m.into_id FROM ${MERGE_MOVES} WHERE person_id = m.from_id`, [from, into]);
    await client.query(`UPDATE events SET person_id = m.into_id FROM ${MERGE_MOVES} WHERE person_id = m.from_id`, [from, into]);
  }
  const mapped = identity.newDistinctIds();
  if (mapped.size > 0) {
    await client.query('INSERT INTO person_distinct_ids (distinct_id, person_id) SELECT * FROM unnest($1::text[], $2::bigint[])', [
      [...mapped.keys()],
      [...mapped.values()].map((person) => survivorOf(person).id),
    ]);
  }
  if (rows.length > 0) {
    // In log order, so event ids keep the order SQLite gives them. The conflict clause drops plain events whose uuid
    // is stored already (duplicates within the chunk were dropped in memory).
    await client.query(
      `INSERT INTO events (uuid, event, distinct_id, person_id, timestamp, received_at, properties)
       SELECT uuid, event, distinct_id, person_id, timestamp, received_at, properties
         FROM ROWS FROM (jsonb_to_recordset($1::jsonb)
              AS (uuid text, event text, distinct_id text, person_id bigint, timestamp bigint, received_at bigint, properties jsonb))
              WITH ORDINALITY AS e(uuid, event, distinct_id, person_id, timestamp, received_at, properties, n)
        ORDER BY n
       ON CONFLICT (uuid) DO NOTHING`,
      [eventsJson(rows)],
    );
  }
  if (merged.length > 0) await client.query('DELETE FROM persons WHERE id = ANY($1::bigint[])', [merged.map((p) => p.id)]);
}

/**
 * Stores events with their identity effects inside the caller's transaction, with the semantics of api/ingest/store.ts:
 * a known uuid is skipped (so a retry neither double-counts nor re-applies a merge or `$set`), each distinct id
 * resolves to its person, `$identify` / `$create_alias` link and merge persons as PostHog does, `$set` / `$set_once`
 * update the person. The caller must hold the ingest processor's advisory lock: the chunk reads the identity tables
 * once, works the effects out in memory, and writes them back in a handful of statements.
 */
export async function writePgEvents(client: PgQueryable, batches: ReadonlyArray<ReadonlyArray<NormalizedEvent>>): Promise<void> {
  const events = batches.flat().map(pgSafeEvent);
  if (events.length === 0) return;
  const targets = events.map(mergeTarget);
  const distinctIds = new Set<string>();
  const propertyReaders = new Set<string>();
  for (const [i, event] of events.entries()) {
    const target = targets[i];
    distinctIds.add(event.distinctId);
    if (target) distinctIds.add(target.otherId);
    if (target || event.set || event.setOnce) {
      propertyReaders.add(event.distinctId);
      if (target) propertyReaders.add(target.otherId);
    }
  }
  const known = await readKnownPersons(client, [...distinctIds], [...propertyReaders]);
  // Only an event with an identity effect must know whether its uuid is stored already (to skip a replayed merge or
  // $set); a plain duplicate is dropped by the insert's conflict clause, which gives the same rows.
  const seen = await readKnownUuids(
    client,
    events.filter((e, i) => targets[i] || e.set || e.setOnce).map((e) => e.uuid),
  );
  const identity = createChunkIdentity(known);
  const rows: EventRow[] = [];

  // The same steps, in the same order, as api/ingest/store.ts writeOne.
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
    // Resolved even for a repeated uuid, as the SQLite store does: a retry with a new distinct id still maps it.
    const person = identity.personFor(event.distinctId, event.timestamp);
    if (seen.has(event.uuid)) continue;
    seen.add(event.uuid);
    rows.push({ event, person });
    identity.updateProperties(person, event.set, event.setOnce);
  }
  await writeChunk(client, identity, rows);
}
