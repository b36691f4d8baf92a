import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { ApiError, invalid } from '../errors.ts';
import { clientAddress } from '../middleware/client-address.ts';
import { newId, sha256Hex } from '../portal/ids.ts';
import { clearLoginFailures, loginBuckets, loginLockedFor, recordLoginFailure } from '../portal/login-lockout.ts';
import { decoyHash, hashPassword, MAX_PASSWORD_LENGTH, passwordProblem, verifyPassword } from '../portal/passwords.ts';
import { type Limit, PORTAL_LIMITS, throwIfLimited } from '../portal/rate-limit.ts';
import { readJsonObject } from '../portal/request.ts';
import type { SessionAccount } from '../portal/sessions.ts';
import type { PortalStore } from '../storage/types.ts';
import type { Telemetry } from '../telemetry.ts';

/** What the portal routes need. */
export interface PortalDeps {
  portal: PortalStore;
  telemetry: Telemetry;
  publicUrl?: string;
}

const email = z
  .string({ error: 'is required and must be a string' })
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email({ error: 'must be an email address like dev@example.com' }));

const credentials = z.object({
  email,
  password: z.string({ error: 'is required and must be a string' }).min(1, 'is required').max(1024, 'is too long'),
});

/** The account fields the portal returns. `id` is the analytics distinct id the browser passes to `identify`. */
export function accountView(account: SessionAccount) {
  return { id: account.id, email: account.email, created_at: new Date(account.createdAt).toISOString() };
}

/** Counts a hit in `bucket` and throws 429 `rate_limited` with `Retry-After` once `limit` is passed. */
export async function enforce(portal: PortalStore, bucket: string, limit: Limit, what: string): Promise<void> {
  throwIfLimited(await portal.hit(bucket, limit), what);
}

function wrongCredentials() {
  return new ApiError(401, 'invalid_credentials', 'email or password is incorrect');
}

function locked(retryAfterSeconds: number) {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return new ApiError(429, 'account_locked', `login: too many failed attempts; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`, {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

async function parseCredentials(c: Context) {
  const parsed = credentials.safeParse(await readJsonObject(c));
  if (!parsed.success) invalid(parsed.error.issues);
  return parsed.data;
}

/**
 * `POST /signup`, `POST /login`, `POST /logout`, `GET /me` (mounted under `/api/v1/portal`).
 * Rate limits are checked before any password hashing, so a flood costs little CPU.
 */
export function authRoutes(deps: PortalDeps) {
  const { portal } = deps;
  const app = new Hono({ strict: false });

  app.post('/signup', async (c) => {
    const ipHash = sha256Hex(clientAddress(c));
    await enforce(portal, `signup:ip:${ipHash}`, PORTAL_LIMITS.signupPerIp, 'signup');
    const input = await parseCredentials(c);
    const problem = passwordProblem(input.password);
    if (problem) throw new ApiError(400, 'weak_password', problem);
    await enforce(portal, `signup:email:${sha256Hex(input.email)}`, PORTAL_LIMITS.signupPerEmail, 'signup');

    const taken = () => new ApiError(409, 'email_taken', 'email: an account with this email already exists; log in instead');
    if (await portal.findAccountByEmail(input.email)) throw taken();
    const passwordHash = await hashPassword(input.password);
    const now = Date.now();
    const account = { id: newId.account(), email: input.email, createdAt: now };
    // Two signups for one email racing past the check above: the unique index decides.
    if ((await portal.createAccount({ ...account, passwordHash })) === 'email_taken') throw taken();
    await portal.startSession(c, account.id, deps.publicUrl, now);
    deps.telemetry.capture(account.id, { event: 'signed_up', properties: { signup_method: 'email' } }, new Date(now));
    return c.json({ account: accountView(account) }, 201);
  });

  app.post('/login', async (c) => {
    await enforce(portal, `login:ip:${sha256Hex(clientAddress(c))}`, PORTAL_LIMITS.loginPerIp, 'login');
    const input = await parseCredentials(c);
    await enforce(portal, `login:email:${sha256Hex(input.email)}`, PORTAL_LIMITS.loginPerEmail, 'login');
    const failures = loginBuckets(input.email, clientAddress(c));
    const lockedFor = await loginLockedFor(portal.loginFailures, failures);
    if (lockedFor > 0) throw locked(lockedFor);

    const row = await portal.findAccountByEmail(input.email);
    // Unknown emails still pay for one scrypt, so timing does not reveal which emails have accounts.
    const ok = await verifyPassword(input.password.slice(0, MAX_PASSWORD_LENGTH * 4), row?.passwordHash ?? (await decoyHash()));
    if (!row || !ok) {
      // The failure that reaches a lockout still answers 401; from then on the lockout answers 429 until it ends.
      await recordLoginFailure(portal.loginFailures, failures);
      throw wrongCredentials();
    }
    await clearLoginFailures(portal.loginFailures, failures);
    await portal.startSession(c, row.id, deps.publicUrl);
    return c.json({ account: accountView(row) });
  });

  app.post('/logout', async (c) => {
    await portal.endSession(c, deps.publicUrl);
    return c.json({ ok: true });
  });

  // Always 200, so a logged-out page does not log a failed request in the browser console.
  app.get('/me', async (c) => {
    const account = await portal.sessionAccount(c);
    return c.json({ account: account ? accountView(account) : null });
  });

  return app;
}
