/**
 * Portal login lockout. Failures are counted per (email, client address), per client address and per email, each
 * in a 15-minute sliding window, so that one address guessing cannot lock a developer out from everywhere:
 * - one address, one email: ten failures lock that address out of that email;
 * - one address, any emails: thirty failures lock that address out of every login (password spraying);
 * - one email: locked for everyone only by ten failures coming from at least three addresses, or by fifty in all.
 */
import type { PortalStore } from '../storage/types.ts';
import { sha256Hex } from './ids.ts';
import { type FailureCounter, LOCKOUT, lockedSeconds } from './rate-limit.ts';

/** The thresholds; each window is {@link LOCKOUT}'s 15 minutes. */
export const LOGIN_LOCKOUT = {
  perEmailAndClient: LOCKOUT.failures,
  perClient: 30,
  perEmailFromAddresses: { failures: LOCKOUT.failures, addresses: 3 },
  perEmail: 50,
} as const;

/** The counters one login attempt touches (email and address hashed, so neither reaches the database). */
export interface LoginBuckets {
  emailAndClient: string;
  client: string;
  email: string;
  /** Counts the distinct addresses that failed on the email: one per address whose own counter (re)starts. */
  emailAddresses: string;
}

/** The buckets of a login for `email` (normalised) from `clientAddress`. */
export function loginBuckets(email: string, clientAddress: string): LoginBuckets {
  const emailHash = sha256Hex(email);
  const clientHash = sha256Hex(clientAddress);
  return {
    emailAndClient: `login_fail:${emailHash}:${clientHash}`,
    client: `login_fail_client:${clientHash}`,
    email: `login_fail:${emailHash}`,
    emailAddresses: `login_fail_addresses:${emailHash}`,
  };
}

/** The live counters of a login's buckets (undefined where a bucket has none). */
export type LoginCounters = Record<keyof LoginBuckets, FailureCounter | undefined>;

/** Seconds this login is locked given its counters: the longest of the lockouts that apply (0 when none does). */
export function loginLockedSeconds(counters: LoginCounters, now: number): number {
  const { perEmailAndClient, perClient, perEmailFromAddresses, perEmail } = LOGIN_LOCKOUT;
  const fromEnoughAddresses = (counters.emailAddresses?.count ?? 0) >= perEmailFromAddresses.addresses;
  return Math.max(
    lockedSeconds(counters.emailAndClient, now, perEmailAndClient),
    lockedSeconds(counters.client, now, perClient),
    lockedSeconds(counters.email, now, fromEnoughAddresses ? perEmailFromAddresses.failures : perEmail),
  );
}

/** Seconds the login of these buckets is locked (0 when it may try). */
export async function loginLockedFor(failures: PortalStore['loginFailures'], buckets: LoginBuckets, now = Date.now()): Promise<number> {
  const [emailAndClient, client, email, emailAddresses] = await Promise.all(
    [buckets.emailAndClient, buckets.client, buckets.email, buckets.emailAddresses].map((bucket) => failures.read(bucket, now)),
  );
  return loginLockedSeconds({ emailAndClient, client, email, emailAddresses }, now);
}

/** Counts one failed login in every bucket; an address's first failure on the email also counts as a new address. */
export async function recordLoginFailure(failures: PortalStore['loginFailures'], buckets: LoginBuckets, now = Date.now()): Promise<void> {
  if ((await failures.record(buckets.emailAndClient, now)) === 1) await failures.record(buckets.emailAddresses, now);
  await failures.record(buckets.client, now);
  await failures.record(buckets.email, now);
}

/**
 * After a correct password: the email's counters and this address's counter on it start again. The address's
 * count over all emails stays, so one success among many guesses does not reset a spray.
 */
export async function clearLoginFailures(failures: PortalStore['loginFailures'], buckets: LoginBuckets): Promise<void> {
  for (const bucket of [buckets.emailAndClient, buckets.email, buckets.emailAddresses]) await failures.clear(bucket);
}
