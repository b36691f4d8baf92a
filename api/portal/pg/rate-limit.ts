/**
 * PostgreSQL twin of api/portal/rate-limit.ts: the same limits, windows and lockout, with counters in the shared
 * database so every Onramp instance counts into the same bucket. Limits, result shaping and the 429 are imported.
 */
import { eq, lte, sql } from 'drizzle-orm';
import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { rateLimits } from '../../../db/schema-pg.ts';
import type { ApiErrorExtras } from '../../errors.ts';
import { describeHit, LOCKOUT, lockedSeconds, PRUNE_EVERY_HITS, throwIfLimited, type HitResult, type Limit } from '../rate-limit.ts';

let hitsSincePrune = 0;

/**
 * The one upsert behind every counter: an ended window restarts at 1, a live one counts up. A `fixed` window keeps
 * its end; a `sliding` one moves its end to `nextReset` on every hit. INSERT ... ON CONFLICT DO UPDATE takes the
 * row lock, so concurrent hits from any number of instances are serialised per bucket and none is lost, and two
 * first hits on a new bucket do not fail on the primary key (the loser updates the winner's row).
 */
async function countHit(db: OnrampPgDb, bucket: string, now: number, nextReset: number, window: 'fixed' | 'sliding') {
  const ended = sql`${rateLimits.resetAt} <= ${now}::bigint`;
  const [row] = await db
    .insert(rateLimits)
    .values({ bucket, count: 1, resetAt: nextReset })
    .onConflictDoUpdate({
      target: rateLimits.bucket,
      set: {
        count: sql`CASE WHEN ${ended} THEN 1 ELSE ${rateLimits.count} + 1 END`,
        resetAt: window === 'fixed' ? sql`CASE WHEN ${ended} THEN ${nextReset}::bigint ELSE ${rateLimits.resetAt} END` : sql`${nextReset}::bigint`,
      },
    })
    .returning({ count: rateLimits.count, resetAt: rateLimits.resetAt });
  return row!;
}

/**
 * Counts one hit in `bucket` with a single atomic upsert, so concurrent requests (and several Onramp processes
 * on one database) never lose a count. A window that has ended restarts at 1.
 */
export async function hit(db: OnrampPgDb, bucket: string, limit: Limit, now = Date.now()): Promise<HitResult> {
  const row = await countHit(db, bucket, now, now + limit.windowMs, 'fixed');
  if (++hitsSincePrune >= PRUNE_EVERY_HITS) {
    hitsSincePrune = 0;
    await db.delete(rateLimits).where(lte(rateLimits.resetAt, now));
  }
  return describeHit(row.count, row.resetAt, limit.max, now);
}

/** Counts a hit and throws 429 `rate_limited` with `Retry-After` when the limit is passed. */
export async function enforce(
  db: OnrampPgDb,
  bucket: string,
  limit: Limit,
  what: string,
  now = Date.now(),
  extras: ApiErrorExtras = {},
): Promise<HitResult> {
  return throwIfLimited(await hit(db, bucket, limit, now), what, extras);
}

/**
 * Failed-login tracking per email (known or not, so a lockout says nothing about whether an account exists).
 * Each failure pushes the window 15 minutes out; the tenth failure inside it locks the email until it ends.
 */
export const loginFailures = {
  async lockedFor(db: OnrampPgDb, bucket: string, now = Date.now()): Promise<number> {
    const [row] = await db.select().from(rateLimits).where(eq(rateLimits.bucket, bucket));
    return lockedSeconds(row, now);
  },
  async record(db: OnrampPgDb, bucket: string, now = Date.now()): Promise<number> {
    return (await countHit(db, bucket, now, now + LOCKOUT.lockMs, 'sliding')).count;
  },
  async clear(db: OnrampPgDb, bucket: string): Promise<void> {
    await db.delete(rateLimits).where(eq(rateLimits.bucket, bucket));
  },
};
