/**
 * Each person's page views in memory (page-view-arrays.ts) with their first successful call, loaded on the first
 * docs report and kept fresh from the change feed like the milestones (feed-copy.ts). Only persons with page views
 * are held: the docs report counts no one else.
 *
 * Memory: 16 bytes per page view and 20 per person, plus each distinct path and title once.
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import { createFeedCopy } from './feed-copy.ts';
import { allFirstSuccesses, firstSuccessesOf } from './first-successes.ts';
import {
  compactPageViews,
  createPageViewBuilder,
  createTextCodes,
  type PageViewArrays,
  type PageViewVisitor,
  type PersonPageViews,
  type TextCodes,
  visitPageViews,
} from './page-view-arrays.ts';

/** Rows per batch when loading. */
const LOAD_BATCH = 20_000;

/** A fresh view of the page views, valid until the caller next awaits. */
export interface PageViewView {
  paths: TextCodes;
  titles: TextCodes;
  /** Visits every person with page views, in no particular order. */
  visit(visitor: PageViewVisitor): void;
}

type ViewRow = { person_id: unknown; timestamp: unknown; path: unknown; title: unknown };

const text = (value: unknown) => (value === null || value === undefined ? null : String(value));

/** Every person's page views, read in person order, with first successes merged in by person id. */
async function loadAll(database: SqlDatabase, paths: TextCodes, titles: TextCodes): Promise<PageViewArrays> {
  const { pids: successPids, times: successTimes } = await allFirstSuccesses(database, LOAD_BATCH);
  const builder = createPageViewBuilder();
  let s = 0;
  let last = Number.NaN;
  for await (const batch of database.stream<ViewRow>(
    sql`SELECT person_id, timestamp, path, title FROM person_page_views ORDER BY person_id, timestamp, event_id`,
    LOAD_BATCH,
  )) {
    for (const row of batch) {
      const pid = Number(row.person_id);
      if (pid !== last) {
        while (s < successPids.length && successPids[s]! < pid) s++;
        builder.person(pid, successPids[s] === pid ? successTimes[s]! : Number.NaN);
        last = pid;
      }
      builder.view(Number(row.timestamp), paths.intern(text(row.path)), titles.intern(text(row.title)));
    }
  }
  return builder.finish();
}

/** The current page views of `pids`, read in two statements over one bound list; null for a person with none. */
async function loadPersons(database: SqlDatabase, paths: TextCodes, titles: TextCodes, pids: readonly number[]): Promise<Map<number, PersonPageViews | null>> {
  const keys = database.fragments.boundRows(
    pids.map((pid) => [pid]),
    [['pid', 'integer']],
  );
  const [views, success] = await Promise.all([
    database.all<ViewRow>(
      sql`SELECT v.person_id AS person_id, v.timestamp AS timestamp, v.path AS path, v.title AS title FROM ${keys} AS k
          JOIN person_page_views v ON v.person_id = k.pid ORDER BY v.person_id, v.timestamp, v.event_id`,
    ),
    firstSuccessesOf(database, keys),
  ]);
  const byPerson = new Map<number, ViewRow[]>();
  for (const row of views) {
    const pid = Number(row.person_id);
    const rows = byPerson.get(pid);
    if (rows) rows.push(row);
    else byPerson.set(pid, [row]);
  }
  const out = new Map<number, PersonPageViews | null>();
  for (const pid of new Set(pids)) {
    const rows = byPerson.get(pid);
    if (!rows) {
      out.set(pid, null);
      continue;
    }
    out.set(pid, {
      times: Float64Array.from(rows, (row) => Number(row.timestamp)),
      paths: Uint32Array.from(rows, (row) => paths.intern(text(row.path))),
      titles: Uint32Array.from(rows, (row) => titles.intern(text(row.title))),
      firstSuccess: success.get(pid) ?? Number.NaN,
    });
  }
  return out;
}

/** The in-memory page views of `database`, loaded on the first `fresh()`; the same view while nothing changed. */
export function createPageViewSnapshot(database: SqlDatabase): { fresh(): Promise<PageViewView> } {
  const paths = createTextCodes();
  const titles = createTextCodes();
  const copy = createFeedCopy<PageViewArrays, PersonPageViews>(database, {
    loadAll: () => loadAll(database, paths, titles),
    loadPersons: (pids) => loadPersons(database, paths, titles, pids),
    persons: (base) => base.persons,
    compact: (base, overlay) => compactPageViews(base, overlay),
  });
  // One view object per state, so what a report sums over it can be kept until the state changes.
  let last: { state: object; view: PageViewView } | undefined;
  return {
    async fresh() {
      const state = await copy.fresh();
      if (last?.state !== state) {
        const { base, overlay } = state;
        last = { state, view: { paths, titles, visit: (visitor) => visitPageViews(base, overlay, visitor) } };
      }
      return last.view;
    },
  };
}
