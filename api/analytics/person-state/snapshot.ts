/**
 * The per-person milestones in memory (state-arrays.ts), loaded on first use and kept fresh from the change feed
 * (feed-copy.ts): before each report only the persons named in the feed since the last one are reloaded.
 *
 * Memory: 10 bytes per milestone and 20 per person in the arrays, plus the persons reloaded since the last
 * compaction (at most 20,000 of them, or a tenth of the persons when that is more).
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import { createFeedCopy } from './feed-copy.ts';
import { allFirstSuccesses, firstSuccessesOf } from './first-successes.ts';
import type { StateParts } from './funnel-base-columns.ts';
import {
  compact,
  createNameCodes,
  createStateBuilder,
  type NameCodes,
  PersonCursor,
  type PersonState,
  type PersonVisitor,
  type StateArrays,
  visitPersons,
} from './state-arrays.ts';

/** Rows per batch when loading. */
const LOAD_BATCH = 20_000;

/** A fresh view of the state, valid until the caller next awaits. */
export interface StateView {
  names: NameCodes;
  /** Visits every person with state, in id order. */
  visit(visitor: PersonVisitor): void;
  /** A cursor over the same persons, in the same order. */
  cursor(): PersonCursor;
  /** The base arrays and overlay behind the view, when it has them (reports keep per-base layouts). */
  parts?: StateParts;
}

/**
 * The view of `base` with `overlay` (persons reloaded since; `overlayPids` its ids, sorted) over it. With `keep`
 * (default), reports may keep layouts per base (funnel-base-columns.ts); without it they walk the persons each time.
 *
 * @example
 * const view = stateView(names, builder.finish());
 */
export function stateView(
  names: NameCodes,
  base: StateArrays,
  overlay: ReadonlyMap<number, PersonState | null> = new Map(),
  overlayPids: readonly number[] = [],
  keep = true,
): StateView {
  return {
    names,
    visit: (visitor) => visitPersons(base, overlay, overlayPids, visitor),
    cursor: () => new PersonCursor(base, overlay, overlayPids),
    ...(keep ? { parts: { base, overlay, overlayPids } } : {}),
  };
}

/** The in-memory state of one database. */
export interface PersonStateSnapshot {
  /** Brings the copy up to date with everything committed before the call (loading it the first time). */
  fresh(): Promise<StateView>;
}

type MilestoneRow = { person_id: unknown; timestamp: unknown; event: unknown };

/** Every person's state, read in person order: first successes first, then milestones merged into them. */
async function loadAll(database: SqlDatabase, names: NameCodes): Promise<StateArrays> {
  const { pids: successPids, times: successTimes } = await allFirstSuccesses(database, LOAD_BATCH);
  const builder = createStateBuilder();
  let s = 0;
  const successesBefore = (pid: number) => {
    while (s < successPids.length && successPids[s]! < pid) {
      builder.person(successPids[s]!, successTimes[s]!);
      s++;
    }
  };
  for await (const batch of database.stream<MilestoneRow>(
    sql`SELECT person_id, timestamp, event FROM person_milestones ORDER BY person_id, timestamp, event_id`,
    LOAD_BATCH,
  )) {
    for (const row of batch) {
      const pid = Number(row.person_id);
      if (pid !== builder.lastPid) {
        successesBefore(pid);
        builder.person(pid);
        if (successPids[s] === pid) builder.setFirstSuccess(successTimes[s++]!);
      }
      builder.milestone(Number(row.timestamp), names.intern(String(row.event)));
    }
  }
  successesBefore(Number.POSITIVE_INFINITY);
  return builder.finish();
}

/** The current state of `pids`, read in two statements over one bound list; null for a person with none. */
async function loadPersons(database: SqlDatabase, names: NameCodes, pids: readonly number[]): Promise<Map<number, PersonState | null>> {
  const keys = database.fragments.boundRows(
    pids.map((pid) => [pid]),
    [['pid', 'integer']],
  );
  const [milestones, success] = await Promise.all([
    database.all<MilestoneRow>(
      sql`SELECT m.person_id AS person_id, m.timestamp AS timestamp, m.event AS event FROM ${keys} AS k
          JOIN person_milestones m ON m.person_id = k.pid ORDER BY m.person_id, m.timestamp, m.event_id`,
    ),
    firstSuccessesOf(database, keys),
  ]);
  const out = new Map<number, PersonState | null>();
  let i = 0;
  const sorted = [...new Set(pids)].sort((a, b) => a - b);
  for (const pid of sorted) {
    const from = i;
    while (i < milestones.length && Number(milestones[i]!.person_id) === pid) i++;
    const firstSuccess = success.get(pid) ?? Number.NaN;
    if (i === from && Number.isNaN(firstSuccess)) {
      out.set(pid, null);
      continue;
    }
    const times = new Float64Array(i - from);
    const codes = new Uint16Array(i - from);
    for (let n = from; n < i; n++) {
      times[n - from] = Number(milestones[n]!.timestamp);
      codes[n - from] = names.intern(String(milestones[n]!.event));
    }
    out.set(pid, { times, codes, firstSuccess });
  }
  return out;
}

/** The snapshot of `database`'s per-person milestones, over the change feed (feed-copy.ts). */
export function createPersonStateSnapshot(database: SqlDatabase): PersonStateSnapshot {
  const names = createNameCodes();
  const copy = createFeedCopy<StateArrays, PersonState>(database, {
    loadAll: () => loadAll(database, names),
    loadPersons: (pids) => loadPersons(database, names, pids),
    persons: (base) => base.persons,
    compact,
  });
  return {
    async fresh() {
      const { base, overlay, overlayPids } = await copy.fresh();
      return stateView(names, base, overlay, overlayPids);
    },
  };
}
