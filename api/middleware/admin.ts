import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from '../errors.ts';
import { isSameOriginRequest } from '../portal/request.ts';
import type { PortalStore } from '../storage/types.ts';
import { clientAddress } from './client-address.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The failed-login counters wrong admin tokens are counted in. */
export type AdminLoginFailures = PortalStore['loginFailures'];

/**
 * Wrong admin tokens, from the reports login form or as `Authorization: Bearer`, count into one counter per client
 * address (shared by every instance through the database). Ten inside 15 minutes lock that client out of both.
 */
export function adminFailureBucket(c: Context): string {
  return `admin-login:${clientAddress(c)}`;
}

/** Throws 429 `rate_limited` with `Retry-After` while this client is locked out of admin credentials. */
export async function refuseLockedAdminClient(c: Context, loginFailures: AdminLoginFailures, now: number): Promise<void> {
  const lockedFor = await loginFailures.lockedFor(adminFailureBucket(c), now);
  if (lockedFor > 0) {
    throw new ApiError(429, 'rate_limited', 'token: too many wrong admin tokens from this address, try again later', {
      headers: { 'Retry-After': String(lockedFor) },
    });
  }
}

/**
 * Constant-time check of presented tokens against `adminToken`: both are hashed (SHA-256) to one length and the
 * digests compared with `crypto.timingSafeEqual`, the admin token's digest once. Synchronous: hono's async compare
 * hashed both sides through WebCrypto on every request, about 0.13 ms of an authenticated request.
 */
export function adminTokenCheck(adminToken: string): (presented: string) => boolean {
  const expected = createHash('sha256').update(adminToken).digest();
  return (presented) => timingSafeEqual(createHash('sha256').update(presented).digest(), expected);
}

/**
 * Guards admin routes. Accepts either `Authorization: Bearer <ONRAMP_ADMIN_TOKEN>`, compared in constant time,
 * or the reports session cookie that `adminSessionCookie` (api/routes/admin-session.ts) validated earlier in the
 * chain. A present Authorization header is always judged on its own, so a wrong token is never rescued by a
 * cookie; a wrong Bearer token counts in the client's admin lockout, as a wrong token in the login form does.
 * Cookie-authenticated writes must also be same-origin (CSRF).
 */
export function requireAdmin(adminToken: string, opts: { publicUrl?: string; loginFailures: AdminLoginFailures }): MiddlewareHandler {
  const isAdminToken = adminTokenCheck(adminToken);
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header === undefined && c.get('adminSession') === true) {
      if (!SAFE_METHODS.has(c.req.method) && !isSameOriginRequest(c, opts.publicUrl)) {
        throw new ApiError(403, 'forbidden', 'origin: cookie-authenticated changes must come from the reports pages');
      }
      return next();
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) throw new ApiError(401, 'unauthorized', 'authorization: admin bearer token required');
    const now = Date.now();
    await refuseLockedAdminClient(c, opts.loginFailures, now);
    if (!isAdminToken(match[1]!)) {
      await opts.loginFailures.record(adminFailureBucket(c), now);
      throw new ApiError(401, 'unauthorized', 'authorization: admin token is not valid');
    }
    await next();
  };
}
