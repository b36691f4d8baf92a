/**
 * The flag evidence's per-person data (evidence-state.ts) in memory, loaded on first use from `person_call_facts`,
 * `first_call_failures` and `person_last_pages`, and kept fresh from the change feed like the onboarding state
 * (feed.ts): the apply names every person whose first success, kept failures or last page changed.
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
  type PersonEvidence,
} from './evidence-state.ts';
import { followFeed } from './feed.ts';

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

/** The current evidence data of `pids`; null for a person with none. */
async function loadPersons(database: SqlDatabase, codes: Dictionary, paths: Dictionary, pids: readonly number[]): Promise<Map<number, PersonEvidence | null>> {
  const keys = database.fragments.boundRows(
    pids.map((pid) => [pid]),
    [['pid', 'integer']],
  );
  const [facts, failures, pages] = await Promise.all([
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
  const out = new Map<number, PersonEvidence | null>();
  const of = (pid: number) => {
    let e = out.get(pid);
    if (!e) out.set(pid, (e = { firstSuccess: Number.NaN, hasCalls: false, failTimes: [], failCodes: [], pageTime: Number.NaN, pagePath: -1 }));
    return e;
  };
  for (const row of facts) {
    const e = of(Number(row.person_id));
    e.hasCalls = true;
    e.firstSuccess = successOf(row);
  }
  for (const row of failures) {
    const e = of(Number(row.person_id));
    e.failTimes.push(Number(row.timestamp));
    e.failCodes.push(codes.intern(String(row.code)));
  }
  for (const row of pages) {
    const e = of(Number(row.person_id));
    e.pageTime = Number(row.timestamp);
    e.pagePath = pathCode(paths, row.path);
  }
  for (const pid of pids) if (!out.has(pid)) out.set(pid, null);
  return out;
}

/** The in-memory evidence data of one database. */
export interface EvidenceSnapshot {
  /** Brings the copy up to date with everything committed before the call (loading it the first time). */
  fresh(): Promise<EvidenceState>;
}

/**
 * The snapshot of `database`'s evidence data. Refreshes run one at a time; each report awaits its own, so it sees
 * every change committed before it asked.
 */
export function createEvidenceSnapshot(database: SqlDatabase): EvidenceSnapshot {
  const codes = createDictionary();
  const paths = createDictionary();
  let arrays: EvidenceArrays = createEvidenceBuilder().finish();
  let overlay = new Map<number, PersonEvidence | null>();

  const refresh = followFeed(database, {
    async reloadAll() {
      arrays = await loadAll(database, codes, paths);
      overlay = new Map();
    },
    async reloadPersons(pids) {
      for (const [pid, e] of await loadPersons(database, codes, paths, pids)) overlay.set(pid, e);
      if (overlay.size > Math.max(COMPACT_AT, arrays.callPids.length / 10)) {
        arrays = compactEvidence(arrays, overlay);
        overlay = new Map();
      }
    },
  });

  return {
    async fresh() {
      await refresh();
      return { arrays, overlay, codes, paths };
    },
  };
}
