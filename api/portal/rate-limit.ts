import { sql } from 'drizzle-orm';
import { ApiError, type ApiErrorExtras } from '../errors.ts';
import type { SqlDatabase } from '../storage/sql/interface.ts';

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
  /** Calls with an invalid key from one client address: guessing secrets or forging calls in someone's name. */
  sandboxInvalidKeyPerClient: { max: 60, windowMs: 60_000 },
} satisfies Record<string, Limit>;

export const LOCKOUT = { failures: 10, lockMs: 15 * MINUTE };

let hitsSincePrune = 0;

/**
 * The one upsert behind every counter: an ended window restarts at 1, a live one counts up. A `fixed` window keeps
 * its end; a `sliding` one moves its end to `nextReset` on every hit. INSERT ... ON CONFLICT DO UPDATE is one atomic
 * statement on both dialects (PostgreSQL takes the row lock), so concurrent hits from any number of instances are
 * serialised per bucket, none is lost, and two first hits on a new bucket do not fail on the primary key.
 */
async function countHit(database: SqlDatabase, bucket: string, now: number, nextReset: number, window: 'fixed' | 'sliding') {
  const ended = sql`rate_limits.reset_at <= CAST(${now} AS BIGINT)`;
  const resetAt =
    window === 'fixed' ? sql`CASE WHEN ${ended} THEN CAST(${nextReset} AS BIGINT) ELSE rate_limits.reset_at END` : sql`CAST(${nextReset} AS BIGINT)`;
  const row = await database.get<{ count: number; resetAt: number }>(sql`
    INSERT INTO rate_limits (bucket, count, reset_at) VALUES (${bucket}, 1, ${nextReset})
    ON CONFLICT (bucket) DO UPDATE SET
      count = CASE WHEN ${ended} THEN 1 ELSE rate_limits.count + 1 END,
      reset_at = ${resetAt}
    RETURNING count, reset_at AS "resetAt"`);
  return row!;
}

/**
 * Counts one hit in `bucket` with a single atomic upsert, so concurrent requests (and several Onramp processes
 * on one database) never lose a count. A window that has ended restarts at 1.
 */
export async function hit(database: SqlDatabase, bucket: string, limit: Limit, now = Date.now()): Promise<HitResult> {
  const row = await countHit(database, bucket, now, now + limit.windowMs, 'fixed');
  if (++hitsSincePrune >= PRUNE_EVERY_HITS) {
    hitsSincePrune = 0;
    await database.run(sql`DELETE FROM rate_limits WHERE reset_at <= ${now}`);
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

/** A failure counter: failures in its window and when the window ends (epoch ms). */
export interface FailureCounter {
  count: number;
  resetAt: number;
}

/** Seconds a bucket stays locked given its failure counter and the failures that lock it (0 when not locked). */
export function lockedSeconds(row: FailureCounter | undefined, now: number, failures = LOCKOUT.failures): number {
  if (!row || row.resetAt <= now || row.count < failures) return 0;
  return Math.max(1, Math.ceil((row.resetAt - now) / 1000));
}

/**
 * Failed-login counters per bucket. Each failure pushes the bucket's window 15 minutes out (a sliding window), so
 * the count only restarts after 15 quiet minutes.
 */
export const loginFailures = {
  /** Seconds the bucket stays locked (0 when it is not). */
  async lockedFor(database: SqlDatabase, bucket: string, now = Date.now()): Promise<number> {
    return lockedSeconds(await failureCounter(database, bucket), now);
  },
  /** The bucket's live counter, or undefined when it has none or its window has ended. */
  async read(database: SqlDatabase, bucket: string, now = Date.now()): Promise<FailureCounter | undefined> {
    const row = await failureCounter(database, bucket);
    return row && row.resetAt > now ? row : undefined;
  },
  /** Counts one failure; returns the bucket's count. */
  async record(database: SqlDatabase, bucket: string, now = Date.now()): Promise<number> {
    return (await countHit(database, bucket, now, now + LOCKOUT.lockMs, 'sliding')).count;
  },
  async clear(database: SqlDatabase, bucket: string): Promise<void> {
    await database.run(sql`DELETE FROM rate_limits WHERE bucket = ${bucket}`);
  },
};

/** A bucket's counter row, or undefined. */
async function failureCounter(database: SqlDatabase, bucket: string): Promise<FailureCounter | undefined> {
  return database.get<{ count: number; resetAt: number }>(sql`SELECT count, reset_at AS "resetAt" FROM rate_limits WHERE bucket = ${bucket}`);
}
