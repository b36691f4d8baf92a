/**
 * The per-person state in memory (state-arrays.ts), loaded on first use and kept fresh from the change feed: before
 * each report it reads `person_state_changes` after its last `seq` and reloads only the persons named there. Works
 * with several instances on one PostgreSQL database and with an import writing beside the server, since every
 * writer appends to the feed in the transaction that changes the state, one writer at a time (writes.ts).
 *
 * Memory: 10 bytes per milestone and 20 per person in the arrays, plus the persons reloaded since the last
 * compaction (at most {@link COMPACT_AT} of them, or a tenth of the persons when that is more).
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import { followFeed } from './feed.ts';
import {
  compact,
  createNameCodes,
  createStateBuilder,
  emptyState,
  type NameCodes,
  type PersonState,
  type PersonVisitor,
  type StateArrays,
  visitPersons,
} from './state-arrays.ts';

/** Reloaded persons kept beside the arrays before they are folded in (or a tenth of the persons, when more). */
const COMPACT_AT = 20_000;
/** Rows per batch when loading. */
const LOAD_BATCH = 20_000;

/** A fresh view of the state, valid until the caller next awaits. */
export interface StateView {
  names: NameCodes;
  /** Visits every person with state, in id order. */
  visit(visitor: PersonVisitor): void;
}

/** The in-memory state of one database. */
export interface PersonStateSnapshot {
  /** Brings the copy up to date with everything committed before the call (loading it the first time). */
  fresh(): Promise<StateView>;
}

type MilestoneRow = { person_id: unknown; timestamp: unknown; event: unknown };
type SuccessRow = { person_id: unknown; first_success_at: unknown };

/** Every person's state, read in person order: first successes first, then milestones merged into them. */
async function loadAll(database: SqlDatabase, names: NameCodes): Promise<StateArrays> {
  const successPids: number[] = [];
  const successTimes: number[] = [];
  for await (const batch of database.stream<SuccessRow>(
    sql`SELECT person_id, first_success_at FROM person_call_facts WHERE first_success_at IS NOT NULL ORDER BY person_id`,
    LOAD_BATCH,
  )) {
    for (const row of batch) {
      successPids.push(Number(row.person_id));
      successTimes.push(Number(row.first_success_at));
    }
  }
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
  const [milestones, successes] = await Promise.all([
    database.all<MilestoneRow>(
      sql`SELECT m.person_id AS person_id, m.timestamp AS timestamp, m.event AS event FROM ${keys} AS k
          JOIN person_milestones m ON m.person_id = k.pid ORDER BY m.person_id, m.timestamp, m.event_id`,
    ),
    database.all<SuccessRow>(
      sql`SELECT f.person_id AS person_id, f.first_success_at AS first_success_at FROM ${keys} AS k
          JOIN person_call_facts f ON f.person_id = k.pid WHERE f.first_success_at IS NOT NULL`,
    ),
  ]);
  const success = new Map(successes.map((row) => [Number(row.person_id), Number(row.first_success_at)]));
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

/**
 * The snapshot of `database`'s per-person state. Refreshes run one at a time; each report awaits its own, so it
 * sees every change committed before it asked.
 */
export function createPersonStateSnapshot(database: SqlDatabase): PersonStateSnapshot {
  const names = createNameCodes();
  let base: StateArrays | undefined;
  let overlay = new Map<number, PersonState | null>();
  let overlayPids: number[] = [];

  const view: StateView = {
    names,
    visit: (visitor) => visitPersons(base ?? emptyState(), overlay, overlayPids, visitor),
  };

  const refresh = followFeed(database, {
    async reloadAll() {
      base = await loadAll(database, names);
      overlay = new Map();
      overlayPids = [];
    },
    async reloadPersons(pids) {
      const states = await loadPersons(database, names, pids);
      for (const [pid, state] of states) overlay.set(pid, state);
      overlayPids = [...overlay.keys()].sort((a, b) => a - b);
      if (base && overlay.size > Math.max(COMPACT_AT, base.persons / 10)) {
        base = compact(base, overlay, overlayPids);
        overlay = new Map();
        overlayPids = [];
      }
    },
  });

  return { fresh: () => refresh().then(() => view) };
}
