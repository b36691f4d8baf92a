/**
 * Following the change feed `person_state_changes` (written by writes.ts): an in-memory copy of per-person data
 * reads the feed after its last `seq` before each report and reloads only the persons named there, or everything
 * when it cannot patch. One rule for every copy (the onboarding state of snapshot.ts, the flag evidence of
 * evidence-snapshot.ts), so they agree on when a patch is safe.
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../storage/sql/interface.ts';

/** A feed row with this person id asks every copy to reload everything (a rebuild, or state deleted wholesale). */
export const RELOAD_ALL = -1;
/** More changed persons than this since the last refresh: reloading everything is cheaper than patching. */
const MAX_PATCH = 100_000;

/** How one copy loads: everything, or only some persons (ids may repeat). */
export interface FeedCopy {
  reloadAll(): Promise<void>;
  reloadPersons(pids: number[]): Promise<void>;
}

/** The newest feed position; everything committed up to it is in a load that starts after reading it. */
async function feedEnd(database: SqlDatabase): Promise<number> {
  const row = await database.get<{ seq: unknown }>(sql`SELECT MAX(seq) AS seq FROM person_state_changes`);
  return row?.seq === null || row?.seq === undefined ? 0 : Number(row.seq);
}

/**
 * A function that brings `copy` up to date with everything committed before the call (loading it all the first
 * time). Calls run one at a time; each caller awaits its own, so it sees every change committed before it asked.
 */
export function followFeed(database: SqlDatabase, copy: FeedCopy): () => Promise<void> {
  let loaded = false;
  let lastSeq = 0;
  let queue: Promise<unknown> = Promise.resolve();

  async function reload(): Promise<void> {
    const seq = await feedEnd(database);
    await copy.reloadAll();
    loaded = true;
    lastSeq = seq;
  }

  async function refresh(): Promise<void> {
    if (!loaded) return reload();
    const rows = await database.all<{ seq: unknown; person_id: unknown }>(
      sql`SELECT seq, person_id FROM person_state_changes WHERE seq > ${lastSeq} ORDER BY seq LIMIT ${MAX_PATCH + 1}`,
    );
    if (rows.length === 0) return;
    const pids = rows.map((row) => Number(row.person_id));
    // A feed that does not continue where this copy stopped was trimmed past it (or a PostgreSQL transaction that
    // took a seq rolled back): reloading everything is always right.
    if (rows.length > MAX_PATCH || Number(rows[0]!.seq) !== lastSeq + 1 || pids.includes(RELOAD_ALL)) return reload();
    await copy.reloadPersons(pids);
    lastSeq = Number(rows.at(-1)!.seq);
  }

  return () => {
    const done = queue.then(refresh);
    queue = done.catch(() => undefined);
    return done;
  };
}
