/**
 * The times of each person's page views in memory, for funnels with `$pageview` steps or exclusions: a copy of
 * `person_page_views` (kept at apply by writes.ts) in the milestones' layout (state-arrays.ts: persons sorted by id,
 * each with a contiguous run sorted by (time, event id)), loaded at warm-up (reports.ts) or by the first such funnel
 * and kept fresh from the change feed (feed-copy.ts) like the milestones. Apart from the milestones' arrays, so
 * funnels without page views never walk it.
 *
 * Memory: 10 bytes per page view (8 of time, a 2-byte code that is always 0) and 20 per person, plus the persons
 * reloaded since the last compaction.
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import { createFeedCopy } from './feed-copy.ts';
import { compact, createStateBuilder, PersonCursor, type PersonState, type StateArrays } from './state-arrays.ts';

/** Rows per batch when loading. */
const LOAD_BATCH = 20_000;

type TimeRow = { person_id: unknown; timestamp: unknown };

/** Every person's page-view times, read in (person, time, event id) order from the table's primary key. */
async function loadAll(database: SqlDatabase): Promise<StateArrays> {
  const builder = createStateBuilder();
  for await (const batch of database.stream<TimeRow>(
    sql`SELECT person_id, timestamp FROM person_page_views ORDER BY person_id, timestamp, event_id`,
    LOAD_BATCH,
  )) {
    for (const row of batch) {
      const pid = Number(row.person_id);
      if (pid !== builder.lastPid) builder.person(pid);
      builder.milestone(Number(row.timestamp), 0);
    }
  }
  return builder.finish();
}

/** The current page-view times of `pids`, in one statement over a bound list; null for a person with none. */
async function loadPersons(database: SqlDatabase, pids: readonly number[]): Promise<Map<number, PersonState | null>> {
  const keys = database.fragments.boundRows(
    pids.map((pid) => [pid]),
    [['pid', 'integer']],
  );
  const rows = await database.all<TimeRow>(
    sql`SELECT v.person_id AS person_id, v.timestamp AS timestamp FROM ${keys} AS k
        JOIN person_page_views v ON v.person_id = k.pid ORDER BY v.person_id, v.timestamp, v.event_id`,
  );
  const out = new Map<number, PersonState | null>(pids.map((pid) => [pid, null]));
  for (let i = 0; i < rows.length; ) {
    const pid = Number(rows[i]!.person_id);
    let end = i;
    while (end < rows.length && Number(rows[end]!.person_id) === pid) end++;
    const times = Float64Array.from(rows.slice(i, end), (row) => Number(row.timestamp));
    out.set(pid, { times, codes: new Uint16Array(times.length), firstSuccess: Number.NaN });
    i = end;
  }
  return out;
}

/** The in-memory page-view times of one database. */
export interface PageViewTimes {
  /** Brings the copy up to date with everything committed before the call (loading it the first time). */
  fresh(): Promise<{ cursor(): PersonCursor }>;
}

/** The page-view times of `database`, loaded on the first `fresh()`. */
export function createPageViewTimes(database: SqlDatabase): PageViewTimes {
  const copy = createFeedCopy<StateArrays, PersonState>(database, {
    loadAll: () => loadAll(database),
    loadPersons: (pids) => loadPersons(database, pids),
    persons: (base) => base.persons,
    compact,
  });
  return {
    async fresh() {
      const { base, overlay, overlayPids } = await copy.fresh();
      return { cursor: () => new PersonCursor(base, overlay, overlayPids) };
    },
  };
}
