/**
 * The flag evidence's per-person data (evidence-state.ts) in memory, loaded on first use from `person_call_facts`,
 * `first_call_failures` and `person_last_pages`, and kept fresh from the change feed like the onboarding state
 * (feed-copy.ts), which names every person whose first success or kept failures changed, and from the last pages changed
 * since (by event id).
 *
 * Memory: about 16 bytes per person with calls or page views and 12 per kept failure, plus the persons reloaded
 * since the last compaction (at most {@link COMPACT_AT} of them, or a tenth of the persons when that is more).
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import {
  compactEvidence,
  createDictionary,
  createEvidenceBuilder,
  type Dictionary,
  type EvidenceArrays,
  type EvidenceState,
  type LastPage,
  type PersonCalls,
} from './evidence-state.ts';
import { followFeed } from './feed-copy.ts';

/** Reloaded persons kept beside the arrays before they are folded in (or a tenth of the persons, when more). */
const COMPACT_AT = 20_000;
/** Rows per batch when loading. */
const LOAD_BATCH = 20_000;

type FactsRow = { person_id: unknown; first_success_at: unknown };
type FailureRow = { person_id: unknown; timestamp: unknown; code: unknown };
type PageRow = { person_id: unknown; timestamp: unknown; path: unknown };

const pathCode = (paths: Dictionary, path: unknown) => (path === null ? -1 : paths.intern(String(path)));
const successOf = (row: FactsRow) => (row.first_success_at === null ? Number.NaN : Number(row.first_success_at));

/** Every person's evidence data: call facts, each person's kept failures after them (both in person order), pages. */
async function loadAll(database: SqlDatabase, codes: Dictionary, paths: Dictionary): Promise<EvidenceArrays> {
  const pids: number[] = [];
  const successes: number[] = [];
  for await (const batch of database.stream<FactsRow>(sql`SELECT person_id, first_success_at FROM person_call_facts ORDER BY person_id`, LOAD_BATCH)) {
    for (const row of batch) {
      pids.push(Number(row.person_id));
      successes.push(successOf(row));
    }
  }
  const builder = createEvidenceBuilder();
  let c = 0;
  // Adds the persons with facts up to `pid`; whether the last one added is `pid`.
  const factsUpTo = (pid: number) => {
    let last = Number.NaN;
    while (c < pids.length && pids[c]! <= pid) {
      last = pids[c]!;
      builder.calls(last, successes[c++]!);
    }
    return last === pid;
  };
  let current = Number.NaN;
  let withFacts = false;
  for await (const batch of database.stream<FailureRow>(
    sql`SELECT person_id, timestamp, code FROM first_call_failures ORDER BY person_id, timestamp`,
    LOAD_BATCH,
  )) {
    for (const row of batch) {
      const pid = Number(row.person_id);
      if (pid !== current) {
        current = pid;
        withFacts = factsUpTo(pid);
      }
      // A list always has its facts row (both are written together); one without is ignored, as a report would.
      if (withFacts) builder.failure(Number(row.timestamp), codes.intern(String(row.code)));
    }
  }
  factsUpTo(Number.POSITIVE_INFINITY);
  for await (const batch of database.stream<PageRow>(sql`SELECT person_id, timestamp, path FROM person_last_pages ORDER BY person_id`, LOAD_BATCH)) {
    for (const row of batch) builder.page(Number(row.person_id), Number(row.timestamp), pathCode(paths, row.path));
  }
  return builder.finish();
}

/** The current call facts and last pages of `pids`; null for a person with none. */
async function loadPersons(database: SqlDatabase, codes: Dictionary, paths: Dictionary, pids: readonly number[]) {
  const keys = database.fragments.boundRows(
    pids.map((pid) => [pid]),
    [['pid', 'integer']],
  );
  const [facts, failures, pageRows] = await Promise.all([
    database.all<FactsRow>(
      sql`SELECT f.person_id AS person_id, f.first_success_at AS first_success_at FROM ${keys} AS k JOIN person_call_facts f ON f.person_id = k.pid`,
    ),
    database.all<FailureRow>(
      sql`SELECT f.person_id AS person_id, f.timestamp AS timestamp, f.code AS code FROM ${keys} AS k
          JOIN first_call_failures f ON f.person_id = k.pid ORDER BY f.person_id, f.timestamp`,
    ),
    database.all<PageRow>(
      sql`SELECT p.person_id AS person_id, p.timestamp AS timestamp, p.path AS path FROM ${keys} AS k JOIN person_last_pages p ON p.person_id = k.pid`,
    ),
  ]);
  const calls = new Map<number, PersonCalls | null>(pids.map((pid) => [pid, null]));
  const pages = new Map<number, LastPage | null>(pids.map((pid) => [pid, null]));
  for (const row of facts) calls.set(Number(row.person_id), { firstSuccess: successOf(row), failTimes: [], failCodes: [] });
  for (const row of failures) {
    const c = calls.get(Number(row.person_id));
    c?.failTimes.push(Number(row.timestamp));
    c?.failCodes.push(codes.intern(String(row.code)));
  }
  for (const row of pageRows) pages.set(Number(row.person_id), { time: Number(row.timestamp), path: pathCode(paths, row.path) });
  return { calls, pages };
}

/** The newest event id in `person_last_pages`: rows changed after it is read have a greater one. */
async function pagesEnd(database: SqlDatabase): Promise<number> {
  const row = await database.get<{ id: unknown }>(sql`SELECT MAX(event_id) AS id FROM person_last_pages`);
  return row?.id === null || row?.id === undefined ? 0 : Number(row.id);
}

/** The in-memory evidence data of one database. */
export interface EvidenceSnapshot {
  /** Brings the copy up to date with everything committed before the call (loading it the first time). */
  fresh(): Promise<EvidenceState>;
}

/**
 * The snapshot of `database`'s evidence data. Call facts follow the change feed; last pages are read again where
 * their event id passed the newest one seen (page views change them far more often than anything the feed names),
 * and through the feed for persons who merged (a recomputed last page may be an older event). Refreshes run one at
 * a time; each report awaits its own, so it sees every change committed before it asked.
 */
export function createEvidenceSnapshot(database: SqlDatabase): EvidenceSnapshot {
  const codes = createDictionary();
  const paths = createDictionary();
  let arrays: EvidenceArrays = createEvidenceBuilder().finish();
  let calls = new Map<number, PersonCalls | null>();
  let pages = new Map<number, LastPage | null>();
  let lastPageId = 0;

  const compactIfLarge = () => {
    if (calls.size + pages.size > Math.max(COMPACT_AT, (arrays.callPids.length + arrays.pagePids.length) / 10)) {
      arrays = compactEvidence(arrays, calls, pages);
      calls = new Map();
      pages = new Map();
    }
  };

  const followCalls = followFeed(database, {
    async reloadAll() {
      // Read before loading: a page changed while the load runs is read again by the next refresh.
      const pageId = await pagesEnd(database);
      arrays = await loadAll(database, codes, paths);
      calls = new Map();
      pages = new Map();
      lastPageId = pageId;
    },
    async reloadPersons(pids) {
      const loaded = await loadPersons(database, codes, paths, pids);
      for (const [pid, c] of loaded.calls) calls.set(pid, c);
      for (const [pid, p] of loaded.pages) pages.set(pid, p);
      compactIfLarge();
    },
  });

  async function followPages(): Promise<void> {
    for (;;) {
      const rows = await database.all<PageRow & { event_id: unknown }>(
        sql`SELECT person_id, timestamp, event_id, path FROM person_last_pages WHERE event_id > ${lastPageId} ORDER BY event_id LIMIT ${LOAD_BATCH}`,
      );
      for (const row of rows) pages.set(Number(row.person_id), { time: Number(row.timestamp), path: pathCode(paths, row.path) });
      if (rows.length > 0) lastPageId = Number(rows.at(-1)!.event_id);
      compactIfLarge();
      if (rows.length < LOAD_BATCH) return;
    }
  }

  let queue: Promise<unknown> = Promise.resolve();
  return {
    fresh() {
      const done = queue.then(async () => {
        await followCalls();
        await followPages();
        return { arrays, calls, pages, codes, paths };
      });
      queue = done.catch(() => undefined);
      return done;
    },
  };
}
