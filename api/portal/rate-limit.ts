import { eq, lte, sql } from 'drizzle-orm';
import type { OnrampDb } from '../../db/client.ts';
import { rateLimits } from '../../db/schema.ts';
import { ApiError, type ApiErrorExtras } from '../errors.ts';

/** A limit: at most `max` hits per fixed window of `windowMs`. */
export interface Limit {
  max: number;
  windowMs: number;
}

/** The counter after a hit. */
export interface HitResult {
  allowed: boolean;
  count: number;
  limit: number;
  remaining: number;
  /** Epoch ms at which the window ends. */
  resetAt: number;
  /** Whole seconds until the window ends (at least 1), for `Retry-After`. */
  retryAfterSeconds: number;
}

const MINUTE = 60_000;

/**
 * Portal limits. Per IP they stop one machine from spraying many accounts; per account (or email) they stop a
 * distributed attack on one account. Ten failed logins lock that email for 15 minutes.
 */
export const PORTAL_LIMITS = {
  signupPerIp: { max: 20, windowMs: 60 * MINUTE },
  signupPerEmail: { max: 5, windowMs: 60 * MINUTE },
  loginPerIp: { max: 60, windowMs: 15 * MINUTE },
  loginPerEmail: { max: 30, windowMs: 15 * MINUTE },
  keyCreatePerIp: { max: 100, windowMs: 60 * MINUTE },
  keyCreatePerAccount: { max: 30, windowMs: 60 * MINUTE },
  supportPerAccount: { max: 10, windowMs: 60 * MINUTE },
  /** The sandbox contract: 60 requests per 60 s per key. */
  sandboxPerKey: { max: 60, windowMs: 60_000 },
} satisfies Record<string, Limit>;

export const LOCKOUT = { failures: 10, lockMs: 15 * MINUTE };

let hitsSincePrune = 0;

/**
 * The one upsert behind every counter: an ended window restarts at 1, a live one counts up. A `fixed` window keeps
 * its end; a `sliding` one moves its end to `nextReset` on every hit.
 */
function countHit(db: OnrampDb, bucket: string, now: number, nextReset: number, window: 'fixed' | 'sliding') {
  return db
    .insert(rateLimits)
    .values({ bucket, count: 1, resetAt: nextReset })
    .onConflictDoUpdate({
      target: rateLimits.bucket,
      set: {
        count: sql`CASE WHEN ${rateLimits.resetAt} <= ${now} THEN 1 ELSE ${rateLimits.count} + 1 END`,
        resetAt:
          window === 'fixed'
            ? sql`CASE WHEN ${rateLimits.resetAt} <= ${now} THEN ${nextReset} ELSE ${rateLimits.resetAt} END`
            : sql`${nextReset}`,
      },
    })
    .returning({ count: rateLimits.count, resetAt: rateLimits.resetAt })
    .get()!;
}

/**
 * Counts one hit in `bucket` with a single atomic upsert, so concurrent requests (and several Onramp processes
 * on one database) never lose a count. A window that has ended restarts at 1.
 */
export function hit(db: OnrampDb, bucket: string, limit: Limit, now = Date.now()): HitResult {
  const row = countHit(db, bucket, now, now + limit.windowMs, 'fixed');
  if (++hitsSincePrune >= PRUNE_EVERY_HITS) {
    hitsSincePrune = 0;
    db.delete(rateLimits).where(lte(rateLimits.resetAt, now)).run();
  }
  return describeHit(row.count, row.resetAt, limit.max, now);
}

/** Expired counters are deleted once every this many hits (per process), so the table stays small. */
export const PRUNE_EVERY_HITS = 500;

/** The result of a hit from the counter's new `count` and `resetAt`. */
export function describeHit(count: number, resetAt: number, max: number, now: number): HitResult {
  return {
    allowed: count <= max,
    count,
    limit: max,
    remaining: Math.max(0, max - count),
    resetAt,
    retryAfterSeconds: Math.max(1, Math.ceil((resetAt - now) / 1000)),
  };
}

/** Counts a hit and throws 429 `rate_limited` with `Retry-After` when the limit is passed. */
export function enforce(db: OnrampDb, bucket: string, limit: Limit, what: string, now = Date.now(), extras: ApiErrorExtras = {}): HitResult {
  return throwIfLimited(hit(db, bucket, limit, now), what, extras);
}

/** Throws 429 `rate_limited` with `Retry-After` when the hit was not allowed; else returns it. */
export function throwIfLimited(result: HitResult, what: string, extras: ApiErrorExtras = {}): HitResult {
  if (!result.allowed) {
    throw new ApiError(429, 'rate_limited', `${what}: too many requests; retry in ${result.retryAfterSeconds} s`, {
      ...extras,
      headers: { ...extras.headers, 'Retry-After': String(result.retryAfterSeconds) },
    });
  }
  return result;
}

/** Seconds an email stays locked given its failure counter (0 when not locked). */
export function lockedSeconds(row: { count: number; resetAt: number } | undefined, now: number): number {
  if (!row || row.resetAt <= now || row.count < LOCKOUT.failures) return 0;
  return Math.max(1, Math.ceil((row.resetAt - now) / 1000));
}

/**
 * Failed-login tracking per email (known or not, so a lockout says nothing about whether an account exists).
 * Each failure pushes the window 15 minutes out; the tenth failure inside it locks the email until it ends.
 */
export const loginFailures = {
  lockedFor(db: OnrampDb, bucket: string, now = Date.now()): number {
    return lockedSeconds(db.select().from(rateLimits).where(eq(rateLimits.bucket, bucket)).get(), now);
  },
  record(db: OnrampDb, bucket: string, now = Date.now()): number {
    return countHit(db, bucket, now, now + LOCKOUT.lockMs, 'sliding').count;
  },
  clear(db: OnrampDb, bucket: string): void {
    db.delete(rateLimits).where(eq(rateLimits.bucket, bucket)).run();
  },
};
