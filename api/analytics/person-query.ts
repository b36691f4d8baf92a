/**
 * `GET /api/v1/reports/person`: one developer's journey. Identity, the latest events, and the person's position in
 * the default funnel and TTFSI, computed by the same code as the funnel and TTFSI reports (funnel.ts,
 * ttfsi-query.ts), on the person's own rows only.
 */
import { sql } from 'drizzle-orm';
import { type EventRow, listedEvent } from '../routes/events.ts';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import { FIRST_SUCCESSFUL_CALL } from './contract.ts';
import { evaluatePerson, type PersonOutcome } from './funnel-evaluate.ts';
import { parseFunnelParams } from './funnel-params.ts';
import { streamFunnelPersons } from './funnel-query.ts';
import { evaluateOptions } from './funnel-run.ts';
import { PERSON_DISTINCT_ID_LIMIT, PERSON_EVENT_LIMIT, type PersonJourney } from './person-contract.ts';
import { streamTtfsi } from './ttfsi-query.ts';

export type { PersonJourney };

/** The person's position in the default funnel over all of their history up to `now`, by the report's own evaluation. */
async function personFunnel(database: SqlDatabase, pid: number, now: number): Promise<PersonJourney['funnel']> {
  const p = { ...parseFunnelParams({}, now), from: 0, to: now };
  let outcome: PersonOutcome = { depth: 0, start: Number.NaN, times: [] };
  const options = evaluateOptions(p);
  await streamFunnelPersons(database, p, p, (_pid, events) => (outcome = evaluatePerson(events, options)), pid);
  const { depth, start, times } = outcome;
  return {
    window: p.window,
    deepestStep: depth === 0 ? null : depth - 1,
    inProgress: depth > 0 && depth < p.steps.length && start + p.windowMs > now,
    steps: p.steps.map((event, k) => ({ event, reachedAt: k < depth ? new Date(times[k]!).toISOString() : null })),
  };
}

/** TTFSI so far: first signed_up to the first successful call after it, over the person's history up to `now`. */
async function personTtfsi(database: SqlDatabase, pid: number, now: number): Promise<number | null> {
  let seconds: number | null = null;
  await streamTtfsi(database, { from: 0, to: now, start: 'signed_up', end: FIRST_SUCCESSFUL_CALL }, (row) => (seconds = row.seconds), pid);
  return seconds;
}

/** The person's email: their `email` property, else the email of a portal account named by one of their ids. */
async function personEmail(database: SqlDatabase, pid: number): Promise<string | null> {
  const f = database.fragments;
  const row = await database.get<{ email: string | null }>(
    sql`SELECT COALESCE(
          (SELECT ${f.jsonText(sql`p.properties`, 'email')} FROM persons p WHERE p.id = ${pid}),
          (SELECT a.email FROM accounts a JOIN person_distinct_ids d ON d.distinct_id = a.id WHERE d.person_id = ${pid} ORDER BY a.created_at LIMIT 1)
        ) AS email`,
  );
  return row?.email ?? null;
}

/**
 * One person's journey by their public id (`persons.uuid`), or undefined when no such person exists. The events
 * are the latest {@link PERSON_EVENT_LIMIT}, returned oldest first.
 */
export async function loadPersonJourney(database: SqlDatabase, personId: string, now: number): Promise<PersonJourney | undefined> {
  const person = await database.get<{ id: number }>(sql`SELECT id FROM persons WHERE uuid = ${personId}`);
  if (!person) return undefined;
  const pid = Number(person.id);
  const [distinct, latest, email, funnel, ttfsiSeconds] = await Promise.all([
    database.all<{ distinctId: string }>(
      sql`SELECT distinct_id AS "distinctId" FROM person_distinct_ids WHERE person_id = ${pid}
          ORDER BY distinct_id ${database.fragments.binaryCollation} LIMIT ${PERSON_DISTINCT_ID_LIMIT}`,
    ),
    database.all<Omit<EventRow, 'personId' | 'personEmail'>>(
      sql`SELECT e.uuid, e.event, e.distinct_id AS "distinctId", e.timestamp, e.properties
          FROM events e ${database.fragments.indexedBy('events_person_timestamp')} WHERE e.person_id = ${pid}
          ORDER BY e.timestamp DESC, e.id DESC LIMIT ${PERSON_EVENT_LIMIT + 1}`,
    ),
    personEmail(database, pid),
    personFunnel(database, pid, now),
    personTtfsi(database, pid, now),
  ]);
  const truncated = latest.length > PERSON_EVENT_LIMIT;
  return {
    personId,
    email,
    distinctIds: distinct.map((d) => d.distinctId),
    events: latest
      .slice(0, PERSON_EVENT_LIMIT)
      .reverse()
      .map((row) => listedEvent({ ...row, personId, personEmail: email })),
    truncated,
    funnel,
    ttfsiSeconds,
  };
}
