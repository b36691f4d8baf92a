/**
 * Keeps `person_milestones`, `person_page_views`, `person_last_pages` and the change feed `person_state_changes`
 * current inside the ingest store's chunk transaction (api/ingest/store.ts), after the chunk's events, merges and call
 * facts are written:
 * - the chunk's milestone events and page views are copied from `events` by uuid, so a retried uuid adds nothing and
 *   an event counts under the person it was stored for; its page views also move their persons' last page
 *   (last-pages.ts, read by event id rather than through the feed);
 * - a person merged away loses their rows and the survivor's are recomputed from their stored events (which the
 *   merge has just moved), never by folding two states together;
 * - every person whose milestones, page views or first successful call changed, who made a counted failed call, or
 *   who merged, gets a row in the change feed, which in-memory copies (snapshot.ts, page-view-snapshot.ts,
 *   evidence-snapshot.ts, failed-calls.ts) read to reload only them.
 * Feed rows are written by one writer at a time, so they become visible in `seq` order: SQLite's write lock, and on
 * PostgreSQL the ingest apply lock or, for appliers of different partitions, the commit lock they take for their last
 * statements (api/ingest/apply-partitions.ts).
 */
import { sql } from 'drizzle-orm';
import { inList, MAX_IN_LIST, padded, type Step, slices, valuesOf } from '../../ingest/steps.ts';
import type { Row, SqlFragments } from '../../storage/sql/interface.ts';
import type { AppliedCall } from '../api-traffic/applied-call.ts';
import { isSuccess } from '../api-traffic/call.ts';
import { countedFailure, type PersonMerge } from '../api-traffic/fact-writes.ts';
import { insertLastPagesOf, updateLastPages } from './last-pages.ts';
import { insertMilestonesOf, isMilestone } from './milestones.ts';
import { EVENTS_BY_UUID, insertPageViewsOf, PAGE_VIEW } from './page-views.ts';

/**
 * Feed rows kept: older ones are deleted as new ones come, and a copy of the state that fell further behind reloads
 * everything (snapshot.ts).
 */
export const FEED_KEEP = 1_000_000;
/** Feed rows between two trims. */
const FEED_TRIM_EVERY = 10_000;

/** An event of the chunk, as the store wrote it (stored or dropped as a copy of a stored uuid). */
export interface ChunkEvent {
  uuid: string;
  event: string;
}

/** Persons whose first successful call may have moved: each with the times of their successful calls in the chunk. */
function successTimes(calls: readonly AppliedCall[]): Map<number, Set<number>> {
  const byPerson = new Map<number, Set<number>>();
  for (const call of calls) {
    if (!isSuccess(call.key.status)) continue;
    let times = byPerson.get(call.personId);
    if (!times) byPerson.set(call.personId, (times = new Set()));
    times.add(call.timestamp);
  }
  return byPerson;
}

/** Persons with a failure of the chunk counted in their call facts. */
function failingPersons(calls: readonly AppliedCall[]): Set<number> {
  const persons = new Set<number>();
  for (const call of calls) if (countedFailure(call) !== undefined) persons.add(call.personId);
  return persons;
}

/**
 * The statements that fold one chunk into the per-person state; run after the chunk's call facts are written. `f`:
 * the dialect's fragments (a page view's title is read from its JSON). Returns the persons whose state changed, for
 * {@link appendStateChanges}.
 */
export function* updatePersonState(
  f: SqlFragments,
  events: readonly ChunkEvent[],
  calls: readonly AppliedCall[],
  merges: readonly PersonMerge[],
): Generator<Step, Set<number>, Row[]> {
  const changed = new Set<number>();
  if (merges.length > 0) {
    const involved = [...new Set(merges.flatMap((m) => [m.from, m.into]))];
    for (const some of slices(involved, MAX_IN_LIST)) {
      yield { query: () => sql`DELETE FROM person_milestones WHERE person_id IN ${inList(some)}`, returnsRows: false };
      yield { query: () => sql`DELETE FROM person_page_views WHERE person_id IN ${inList(some)}`, returnsRows: false };
      yield { query: () => sql`DELETE FROM person_last_pages WHERE person_id IN ${inList(some)}`, returnsRows: false };
    }
    for (const some of slices([...new Set(merges.map((m) => m.into))], MAX_IN_LIST)) {
      yield { query: () => insertMilestonesOf(sql`person_id IN ${inList(some)}`), returnsRows: false };
      yield { query: () => insertPageViewsOf(f, sql`person_id IN ${inList(some)}`), returnsRows: false };
      yield { query: () => insertLastPagesOf(sql`e.person_id IN ${inList(some)}`), returnsRows: false };
    }
    for (const pid of involved) changed.add(pid);
  }

  // Not a shaped statement: the title's JSON path is a bound value of the dialect's fragments. Page views are a
  // tenth of a typical chunk, so this is one statement rendered per chunk (padded, so its texts are few).
  const views = [...new Set(events.filter((e) => e.event === PAGE_VIEW).map((e) => e.uuid))];
  for (const some of slices(views, MAX_IN_LIST)) {
    const list = padded(some);
    const added = yield { query: () => sql`${insertPageViewsOf(f, sql`uuid IN ${inList(list)}`, EVENTS_BY_UUID)} RETURNING person_id`, returnsRows: true };
    for (const row of added) changed.add(Number(row.person_id));
  }

  const uuids = [...new Set(events.filter((e) => isMilestone(e.event)).map((e) => e.uuid))];
  for (const some of slices(uuids, MAX_IN_LIST)) {
    const list = padded(some);
    const added = yield {
      query: () => sql`${insertMilestonesOf(sql`uuid IN ${inList(list)}`)} RETURNING person_id`,
      returnsRows: true,
      shape: { key: `milestones:${list.length}`, values: list },
    };
    for (const row of added) changed.add(Number(row.person_id));
  }

  if (views.length > 0) yield* updateLastPages(f, views);

  // Every person with a counted failure in the chunk: the in-memory copy of failed calls (failed-calls.ts) reloads
  // them, and their kept failures before the first success may have changed.
  for (const pid of failingPersons(calls)) changed.add(pid);
  // The call facts are written: a person's first success moved to one of their calls in this chunk exactly when
  // it now equals one of those calls' times (an equal time already stored only adds a harmless feed row).
  const successes = successTimes(calls);
  for (const some of slices([...successes.keys()], MAX_IN_LIST)) {
    const list = padded(some);
    const facts = yield {
      query: () => sql`SELECT person_id, first_success_at FROM person_call_facts WHERE person_id IN ${inList(list)}`,
      returnsRows: true,
      shape: { key: `state-successes:${list.length}`, values: list },
    };
    for (const row of facts) {
      const pid = Number(row.person_id);
      const success = row.first_success_at === null ? Number.POSITIVE_INFINITY : Number(row.first_success_at);
      if (successes.get(pid)?.has(success)) changed.add(pid);
    }
  }
  return changed;
}

/**
 * The statements that add a change-feed row per changed person. Readers need feed rows to become visible in `seq`
 * order, so a chunk applied beside others runs them last, under the ingest commit lock, which it holds until it
 * commits (api/ingest/store.ts).
 */
export function* appendStateChanges(changed: ReadonlySet<number>): Generator<Step, void, Row[]> {
  // One statement per 512 persons, and a trim only when the feed crosses a multiple of FEED_TRIM_EVERY: on
  // PostgreSQL every statement of the chunk is a round trip.
  let crossed = false;
  for (const some of slices([...changed], MAX_IN_LIST)) {
    const added = yield {
      query: () => sql`INSERT INTO person_state_changes (person_id) VALUES ${valuesOf(some, 1)} RETURNING seq`,
      returnsRows: true,
      shape: { key: `state-changes:${some.length}`, values: some },
    };
    const seqs = added.map((row) => Number(row.seq));
    if (seqs.length > 0 && Math.floor(Math.max(...seqs) / FEED_TRIM_EVERY) !== Math.floor((Math.min(...seqs) - 1) / FEED_TRIM_EVERY)) crossed = true;
  }
  if (crossed) {
    yield {
      query: () => sql`DELETE FROM person_state_changes WHERE seq < (SELECT MAX(seq) FROM person_state_changes) - ${FEED_KEEP}`,
      returnsRows: false,
      shape: { key: 'state-changes-trim', values: [FEED_KEEP] },
    };
  }
}
