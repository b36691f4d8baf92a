/**
 * Builds `person_milestones`, `person_page_views` and `person_last_pages` from the stored events: for a database
 * whose events were written past the ingest store (benchmarks that write `events` directly), and to repair the
 * state. Migrations backfill it on upgrade the same way.
 */
import { sql } from 'drizzle-orm';
import type { IngestDatabase } from '../../import/database.ts';
import { RELOAD_ALL } from './feed-copy.ts';
import { insertLastPagesOf } from './last-pages.ts';
import { insertMilestonesOf } from './milestones.ts';
import { insertPageViewsOf } from './page-views.ts';

/**
 * Clears and rebuilds every person's milestones, page views and last page in one transaction under the ingest apply
 * lock, and asks every in-memory copy to reload; returns the number of milestones stored.
 */
export async function rebuildPersonState(ingest: Pick<IngestDatabase, 'withApplyLock'>): Promise<number> {
  return ingest.withApplyLock(async (tx) => {
    await tx.run(sql`DELETE FROM person_milestones`);
    await tx.run(sql`DELETE FROM person_page_views`);
    await tx.run(sql`DELETE FROM person_last_pages`);
    const stored = await tx.run(insertMilestonesOf(sql`TRUE`));
    await tx.run(insertPageViewsOf(tx.fragments, sql`TRUE`));
    await tx.run(insertLastPagesOf(sql`TRUE`));
    await tx.run(sql`INSERT INTO person_state_changes (person_id) VALUES (${RELOAD_ALL})`);
    return stored;
  });
}

/** Rebuilds only when no milestone is stored; returns the number stored. */
export async function rebuildPersonStateIfMissing(ingest: Pick<IngestDatabase, 'withApplyLock' | 'database'>): Promise<number> {
  const stored = await ingest.database.get(sql`SELECT 1 AS one FROM person_milestones LIMIT 1`);
  return stored ? 0 : rebuildPersonState(ingest);
}
