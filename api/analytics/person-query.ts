/**
 * `GET /api/v1/reports/person`: one developer's journey. Identity, the latest events, and the person's position in
 * the default funnel and TTFSI, computed by the same code as the funnel and TTFSI reports (funnel.ts,
 * ttfsi-query.ts), on the person's own rows only.
 */
import { sql } from 'drizzle-orm';
import { type EventRow, listedEvent } from '../routes/events.ts';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import { DEFAULT_STEPS, DEFAULT_WINDOW, FIRST_SUCCESSFUL_CALL } from './contract.ts';
import { evaluatePerson, type FunnelEvent, prepareEvents } from './funnel.ts';
import { CODE_FIRST_SUCCESS, stepMasks } from './funnel-query.ts';
import { parseWindow } from './params.ts';
import { PERSON_DISTINCT_ID_LIMIT, PERSON_EVENT_LIMIT, type PersonJourney } from './person-contract.ts';
import { firstSuccessOf } from './sql.ts';
import { streamTtfsi } from './ttfsi-query.ts';

export type { PersonJourney };

/** The person's position in the default funnel over all of their history up to `now`. */
async function personFunnel(database: SqlDatabase, pid: number, now: number): Promise<PersonJourney['funnel']> {
  const steps = [...DEFAULT_STEPS] as string[];
  const windowMs = parseWindow(DEFAULT_WINDOW)!;
  const masks = stepMasks(steps);
  const f = database.fragments;
  const named = await database.all<{ ts: number; id: number; event: string }>(
    sql`SELECT timestamp AS ts, id, event FROM events ${f.indexedBy('events_person_timestamp')}
        WHERE person_id = ${pid} AND timestamp <= ${now} AND event IN (${sql.join(
          masks.names.map((n) => sql`${n}`),
          sql`, `,
        )})`,
  );
  const rows: FunnelEvent[] = named.map((r) => {
    const code = masks.names.indexOf(r.event);
    return { ts: Number(r.ts), id: Number(r.id), mask: masks.nameMasks[code]!, source: code };
  });
  if (masks.fscMask) {
    const first = await database.get<{ ts: number | null }>(sql`SELECT ${firstSuccessOf(f, sql`${pid}`)} AS ts`);
    if (first?.ts != null && Number(first.ts) <= now) rows.push({ ts: Number(first.ts), id: -1, mask: masks.fscMask, source: CODE_FIRST_SUCCESS });
  }
  const outcome = evaluatePerson(prepareEvents(rows, steps.length), { steps: steps.length, windowMs, order: 'ordered', preferMask: masks.fscMask });
  return {
    window: DEFAULT_WINDOW,
    deepestStep: outcome.depth === 0 ? null : outcome.depth - 1,
    inProgress: outcome.depth > 0 && outcome.depth < steps.length && outcome.start + windowMs > now,
    steps: steps.map((event, k) => ({ event, reachedAt: k < outcome.depth ? new Date(outcome.times[k]!).toISOString() : null })),
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
    database.all<Omit<EventRow, 'personId'>>(
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
      .map((row) => listedEvent({ ...row, personId })),
    truncated,
    funnel,
    ttfsiSeconds,
  };
}
