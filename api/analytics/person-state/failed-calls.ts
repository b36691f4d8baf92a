/**
 * Every counted failed call (person, time, failure code) in memory, for the flag evidence of persons whose failures
 * the call facts do not keep (those from a first success on, or past the kept 50): the rows flags-query.ts's raw
 * queries read from the partial index on failed calls, in the milestones' layout (state-arrays.ts: 8 bytes of time
 * and a 2-byte code per call, 20 bytes per person), except that each person's calls are ordered by code, then time:
 * a person's calls of one code in a range are then counted with two binary searches, where heavy callers have
 * thousands of failures in a report's range. Loaded on first use and kept fresh from the change feed
 * (feed-copy.ts), which names every person who made a counted failed call or merged (writes.ts): such a person's
 * calls are read again (through the partial index) when a report next asks for them.
 *
 * Raw calls past retention (api-traffic/retention.ts) are deleted without a feed row. Retention deletes calls oldest
 * first, and the import deletes the old calls it added right after adding them, so no raw call is older than the
 * oldest one left: calls of the copy before that instant are left out when counting, which is exactly what the raw
 * queries no longer see.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import { failedCallsByPerson } from '../flags-query.ts';
import { firstPast } from '../typed-arrays.ts';
import { find, type Stalled } from './evidence-state.ts';
import { type FeedCopyState, followFeed } from './feed-copy.ts';
import { compact, createNameCodes, createStateBuilder, type PersonState, type StateArrays } from './state-arrays.ts';

/** Rows per batch when loading. */
const LOAD_BATCH = 20_000;

type FailureRow = { person_id: unknown; timestamp: unknown; code: unknown };

/**
 * The counted failed calls (as flags-query.ts counts them) of every person, or of the persons in `keys`, in
 * (person, time) order, from the partial index alone: its condition holds the unverified-key rule, so no table row
 * or JSON is read.
 */
export function failedCalls(database: SqlDatabase, keys?: SQL): SQL {
  const f = database.fragments;
  const join = keys
    ? sql`${keys} AS k JOIN events e ${f.indexedBy('events_failed_call_person_timestamp')} ON e.person_id = k.pid`
    : sql`events e ${f.indexedBy('events_failed_call_person_timestamp')}`;
  return sql`SELECT e.person_id AS person_id, e.timestamp AS timestamp, e.call_error_code AS code FROM ${join}
             WHERE ${f.countedFailedCall} ORDER BY e.person_id, e.timestamp`;
}

/** 2^32: a sort key holds a code above it and a call's position in its person's run below. */
const POSITIONS = 2 ** 32;

/**
 * Reorders the calls [start, end) of one person, given in time order, by code, then time: a numeric sort of keys
 * (code, position), which keeps time order within a code.
 */
function orderByCode(times: Float64Array, codes: Uint16Array, start: number, end: number): void {
  let mixed = false;
  for (let i = start + 1; i < end && !mixed; i++) mixed = codes[i] !== codes[start];
  if (!mixed) return;
  const keys = new Float64Array(end - start);
  for (let i = start; i < end; i++) keys[i - start] = codes[i]! * POSITIONS + (i - start);
  keys.sort();
  const sortedTimes = new Float64Array(end - start);
  for (let n = 0; n < keys.length; n++) sortedTimes[n] = times[start + (keys[n]! % POSITIONS)]!;
  for (let n = 0; n < keys.length; n++) codes[start + n] = Math.floor(keys[n]! / POSITIONS);
  times.set(sortedTimes, start);
}

/** Every person's counted failed calls. */
async function loadAll(database: SqlDatabase, intern: (code: string) => number): Promise<StateArrays> {
  const builder = createStateBuilder();
  for await (const batch of database.stream<FailureRow>(failedCalls(database), LOAD_BATCH)) {
    for (const row of batch) {
      const pid = Number(row.person_id);
      if (pid !== builder.lastPid) builder.person(pid);
      builder.milestone(Number(row.timestamp), intern(String(row.code)));
    }
  }
  const arrays = builder.finish();
  for (let i = 0; i < arrays.persons; i++) orderByCode(arrays.times, arrays.codes, arrays.starts[i]!, arrays.starts[i + 1]!);
  return arrays;
}

/** The persons `pids` as the keys of {@link failedCalls}. */
export function personKeys(database: SqlDatabase, pids: readonly number[]): SQL {
  return database.fragments.boundRows(
    pids.map((pid) => [pid]),
    [['pid', 'integer']],
  );
}

/** The counted failed calls of `pids`, in one statement over a bound list; null for a person with none. */
async function loadPersons(database: SqlDatabase, intern: (code: string) => number, pids: readonly number[]): Promise<Map<number, PersonState | null>> {
  const rows = await database.all<FailureRow>(failedCalls(database, personKeys(database, pids)));
  const out = new Map<number, PersonState | null>(pids.map((pid) => [pid, null]));
  for (let i = 0; i < rows.length; ) {
    const pid = Number(rows[i]!.person_id);
    let end = i;
    while (end < rows.length && Number(rows[end]!.person_id) === pid) end++;
    const run = rows.slice(i, end);
    const person = {
      times: Float64Array.from(run, (row) => Number(row.timestamp)),
      codes: Uint16Array.from(run, (row) => intern(String(row.code))),
      firstSuccess: Number.NaN,
    };
    orderByCode(person.times, person.codes, 0, run.length);
    out.set(pid, person);
    i = end;
  }
  return out;
}

/**
 * The end of the run of `codes[a]` in [a, end), codes ascending: a galloping search, so a person's run of thousands
 * of calls of one code costs a few steps.
 */
function endOfCode(codes: Uint16Array, a: number, end: number): number {
  const code = codes[a]!;
  let lo = a + 1;
  let step = 1;
  while (lo + step <= end && codes[lo + step - 1] === code) {
    lo += step;
    step *= 2;
  }
  // Now codes[lo − 1] is `code`, and the run ends in [lo, min(lo + step − 1, end)].
  let hi = Math.min(lo + step - 1, end);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (codes[mid] === code) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One person's failed calls per code, as flags-query.ts's `failedCallsByPerson` gives them. */
export type PersonFailures = { pid: number; code: string; count: number };

/**
 * The failed calls of each person of `stalled` between their `since` and `to`, at or after `floor` (the oldest raw
 * call left), per person and code. Pure.
 */
export function failuresByPerson(
  copy: FeedCopyState<StateArrays, PersonState>,
  names: readonly string[],
  stalled: readonly Stalled[],
  to: number,
  floor: number,
): PersonFailures[] {
  const { base, overlay } = copy;
  const out: PersonFailures[] = [];
  for (const [pid, since] of stalled) {
    let times: Float64Array;
    let codes: Uint16Array;
    let start = 0;
    let end: number;
    if (overlay.has(pid)) {
      const person = overlay.get(pid);
      if (!person) continue;
      ({ times, codes } = person);
      end = times.length;
    } else {
      const i = find(base.pids, pid);
      if (i < 0) continue;
      ({ times, codes } = base);
      start = base.starts[i]!;
      end = base.starts[i + 1]!;
    }
    const from = Math.max(since, floor);
    for (let a = start; a < end; ) {
      const code = codes[a]!;
      const b = endOfCode(codes, a, end);
      // Most runs lie wholly inside or outside the range: their ends decide without a search.
      const count =
        times[a]! >= from && times[b - 1]! <= to
          ? b - a
          : times[a]! > to || times[b - 1]! < from
            ? 0
            : firstPast(times, a, b, to, false) - firstPast(times, a, b, from, true);
      if (count > 0) out.push({ pid, code: names[code]!, count });
      a = b;
    }
  }
  return out;
}

/** The in-memory failed calls of one database. */
export interface FailedCalls {
  /**
   * Brings the copy up to date with everything committed before the call (loading it the first time), and counts
   * as {@link failuresByPerson}: from raw events for the persons changed since (see {@link createFailedCalls}), and
   * for everyone when more failure codes were seen than the copy gives codes to.
   */
  byPerson(stalled: readonly Stalled[], to: number): Promise<PersonFailures[]>;
  /** Loads the copy now (or brings it up to date). */
  warm(): Promise<void>;
  /** Calls held and the bytes of their typed arrays (persons reloaded since the last compaction included). */
  size(): Promise<{ calls: number; bytes: number }>;
}

/** Reloaded persons kept beside the base before they are folded in (or a tenth of the persons, when more). */
const COMPACT_AT = 20_000;

/**
 * The failed calls of `database`, loaded on first use. A person the feed names is only marked. The first report that
 * asks for a marked person reads their failures in its range from raw events (the query the copy replaces); the next
 * one reads all their calls into the copy. Capture names most callers every chunk, and re-reading all of a caller's
 * calls after each would cost more than the raw query; persons asked again before they change come from memory.
 * Everything runs one call at a time, so a mark is never cleared by an older read.
 */
export function createFailedCalls(database: SqlDatabase): FailedCalls {
  const codes = createNameCodes();
  const intern = (name: string) => codes.intern(name);
  let state: FeedCopyState<StateArrays, PersonState> = { base: createStateBuilder().finish(), overlay: new Map(), overlayPids: [] };
  // Marked persons: whether a report asked for them since the feed named them.
  const stale = new Map<number, boolean>();
  const follow = followFeed(database, {
    async reloadAll() {
      state = { base: await loadAll(database, intern), overlay: new Map(), overlayPids: [] };
      stale.clear();
    },
    async reloadPersons(pids) {
      for (const pid of pids) stale.set(pid, false);
    },
  });

  /**
   * Reads again the marked persons of `stalled` asked for before, and folds the overlay in once it grows; returns
   * the marked ones asked for the first time, which are read from raw events.
   */
  async function refresh(stalled: readonly Stalled[]): Promise<Stalled[]> {
    const fromRaw: Stalled[] = [];
    const reload = new Set<number>();
    for (const person of stalled) {
      const asked = stale.get(person[0]);
      if (asked === true) reload.add(person[0]);
      else if (asked === false) fromRaw.push(person);
    }
    for (const [pid] of fromRaw) stale.set(pid, true);
    const pids = [...reload];
    if (pids.length === 0) return fromRaw;
    const overlay = new Map(state.overlay);
    for (const [pid, person] of await loadPersons(database, intern, pids)) {
      overlay.set(pid, person);
      stale.delete(pid);
    }
    const overlayPids = [...overlay.keys()].sort((x, y) => x - y);
    state =
      overlay.size > Math.max(COMPACT_AT, state.base.persons / 10)
        ? { base: compact(state.base, overlay, overlayPids), overlay: new Map(), overlayPids: [] }
        : { base: state.base, overlay, overlayPids };
    return fromRaw;
  }

  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const done = queue.then(run);
    queue = done.catch(() => undefined);
    return done;
  };
  return {
    byPerson: (stalled, to) =>
      serial(async () => {
        await follow();
        const fromRaw = await refresh(stalled);
        if (codes.overflowed) return failedCallsByPerson(database, to, [...stalled]);
        const raw = await failedCallsByPerson(database, to, fromRaw);
        // Read after the copy: a call deleted since is older than the oldest one left, so it is not counted.
        const row = await database.get<{ ts: unknown }>(sql`SELECT MIN(timestamp) AS ts FROM events WHERE event = 'api_call'`);
        const floor = row?.ts === null || row?.ts === undefined ? Number.POSITIVE_INFINITY : Number(row.ts);
        const inRaw = new Set(fromRaw.map(([pid]) => pid));
        return [...raw, ...failuresByPerson(state, codes.names, inRaw.size === 0 ? stalled : stalled.filter(([pid]) => !inRaw.has(pid)), to, floor)];
      }),
    warm: () => serial(follow),
    size: () =>
      serial(async () => {
        await follow();
        const { base, overlay } = state;
        const arrays = [base.pids, base.starts, base.firstSuccess, base.times, base.codes];
        for (const person of overlay.values()) if (person) arrays.push(person.times, person.codes);
        const calls = base.times.length + [...overlay.values()].reduce((n, person) => n + (person?.times.length ?? 0), 0);
        return { calls, bytes: arrays.reduce((n, array) => n + array.byteLength, 0) };
      }),
  };
}
