/**
 * An in-memory copy of some per-person state kept fresh from the change feed `person_state_changes` (writes.ts):
 * loaded whole on first use, then before each report the feed is read after the copy's last `seq` and only the
 * persons named there are reloaded into an overlay, folded into the base once it grows. The milestones
 * (snapshot.ts), the page views (page-view-snapshot.ts, page-view-times.ts) are such copies over the same feed, and
 * the flag evidence (evidence-snapshot.ts) follows it with {@link followFeed} and its own overlays. Works with
 * several instances on one PostgreSQL database and with an import writing beside the server, since every writer
 * appends to the feed in the transaction that changes the state, one writer at a time.
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../storage/sql/interface.ts';

/** A feed row with this person id asks every copy to reload everything (a rebuild, or state deleted wholesale). */
export const RELOAD_ALL = -1;
/** More changed persons than this since the last refresh: reloading everything is cheaper than patching. */
const MAX_PATCH = 100_000;
/** Reloaded persons kept beside the base before they are folded in (or a tenth of the persons, when more). */
const COMPACT_AT = 20_000;

/** How one kind of state is loaded and folded; `Base` holds every person, `Person` one reloaded person. */
export interface FeedCopySource<Base, Person> {
  /** Every person's state. */
  loadAll(): Promise<Base>;
  /** The current state of `pids`; null for a person with none. */
  loadPersons(pids: readonly number[]): Promise<Map<number, Person | null>>;
  /** Number of persons in `base`. */
  persons(base: Base): number;
  /** `base` with `overlay` folded in (`overlayPids`: its ids, sorted); the inputs unchanged. */
  compact(base: Base, overlay: ReadonlyMap<number, Person | null>, overlayPids: readonly number[]): Base;
}

/** The copy as of the last refresh: an overlay entry replaces the base person of its id (null: no state now). */
export interface FeedCopyState<Base, Person> {
  base: Base;
  overlay: ReadonlyMap<number, Person | null>;
  /** The overlay's ids, sorted. */
  overlayPids: readonly number[];
}

/** The newest feed position; everything committed up to it is in a load that starts after reading it. */
async function feedEnd(database: SqlDatabase): Promise<number> {
  const row = await database.get<{ seq: unknown }>(sql`SELECT MAX(seq) AS seq FROM person_state_changes`);
  return row?.seq === null || row?.seq === undefined ? 0 : Number(row.seq);
}

type ChangedRow = { person_id: unknown; first: unknown; last: unknown };

/**
 * The last grouped read of each database's feed, shared by its copies: before a report every copy asks for the
 * persons changed since the same `seq`, and after a load that named tens of thousands of persons that grouped read,
 * not the patches, is what each copy would pay again.
 */
const lastRead = new WeakMap<SqlDatabase, { after: number; end: number; rows: Promise<ChangedRow[]> }>();

/**
 * One row per person changed in (`after`, `end`] of the feed, with their first and last `seq` (at most
 * {@link MAX_PATCH} + 1 rows), read once for all the copies that ask the same, in one statement so the feed's trim
 * cannot fall between two reads.
 */
function changedPersons(database: SqlDatabase, after: number, end: number): Promise<ChangedRow[]> {
  const memo = lastRead.get(database);
  if (memo && memo.after === after && memo.end === end) return memo.rows;
  const rows = database.all<ChangedRow>(
    sql`SELECT person_id, MIN(seq) AS first, MAX(seq) AS last FROM person_state_changes WHERE seq > ${after} AND seq <= ${end}
        GROUP BY person_id LIMIT ${MAX_PATCH + 1}`,
  );
  lastRead.set(database, { after, end, rows });
  rows.catch(() => {
    if (lastRead.get(database)?.rows === rows) lastRead.delete(database);
  });
  return rows;
}

/** How a follower of the feed loads: everything, or only some persons (each id once). */
export interface FeedFollower {
  reloadAll(): Promise<void>;
  reloadPersons(pids: number[]): Promise<void>;
}

/**
 * A function that brings `follower` up to date with everything committed before the call (loading it all the first
 * time): the one rule every in-memory copy follows, so they agree on when a patch is safe. Calls run one at a time;
 * each caller awaits its own, so it sees every change committed before it asked.
 */
export function followFeed(database: SqlDatabase, follower: FeedFollower): () => Promise<void> {
  let loaded = false;
  let lastSeq = 0;
  let queue: Promise<unknown> = Promise.resolve();

  async function reload(): Promise<void> {
    const seq = await feedEnd(database);
    await follower.reloadAll();
    loaded = true;
    lastSeq = seq;
  }

  async function refresh(): Promise<void> {
    if (!loaded) return reload();
    const end = await feedEnd(database);
    if (end <= lastSeq) return;
    // One row per changed person, not per feed row: a burst names the same persons chunk after chunk, and what a
    // patch costs is the persons it reloads.
    const rows = await changedPersons(database, lastSeq, end);
    if (rows.length === 0) return;
    let first = Number.POSITIVE_INFINITY;
    let last = lastSeq;
    const pids = rows.map((row) => {
      first = Math.min(first, Number(row.first));
      last = Math.max(last, Number(row.last));
      return Number(row.person_id);
    });
    // A feed that does not continue where this copy stopped was trimmed past it (or a PostgreSQL transaction that
    // took a seq rolled back): reloading everything is always right.
    if (rows.length > MAX_PATCH || first !== lastSeq + 1 || pids.includes(RELOAD_ALL)) return reload();
    await follower.reloadPersons(pids);
    lastSeq = last;
  }

  return () => {
    const done = queue.then(refresh);
    queue = done.catch(() => undefined);
    return done;
  };
}

/**
 * A copy of `source`'s state on `database`, following the feed ({@link followFeed}). Each `fresh()` sees every change
 * committed before it was called; the state it resolves to is valid until the caller next awaits.
 */
export function createFeedCopy<Base, Person>(database: SqlDatabase, source: FeedCopySource<Base, Person>): { fresh(): Promise<FeedCopyState<Base, Person>> } {
  let state: FeedCopyState<Base, Person> | undefined;
  const refresh = followFeed(database, {
    async reloadAll() {
      state = { base: await source.loadAll(), overlay: new Map(), overlayPids: [] };
    },
    async reloadPersons(pids) {
      const current = state!;
      const overlay = new Map(current.overlay);
      for (const [pid, person] of await source.loadPersons(pids)) overlay.set(pid, person);
      const overlayPids = [...overlay.keys()].sort((a, b) => a - b);
      state =
        overlay.size > Math.max(COMPACT_AT, source.persons(current.base) / 10)
          ? { base: source.compact(current.base, overlay, overlayPids), overlay: new Map(), overlayPids: [] }
          : { base: current.base, overlay, overlayPids };
    },
  });
  return { fresh: () => refresh().then(() => state!) };
}
