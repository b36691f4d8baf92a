import type { MiddlewareHandler } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import { ApiError } from '../errors.ts';
import { isSameOriginRequest } from '../routes/admin-session.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Guards admin routes. Accepts either `Authorization: Bearer <ONRAMP_ADMIN_TOKEN>`, compared in constant time,
 * or the reports session cookie that `adminSessionCookie` (api/routes/admin-session.ts) validated earlier in the
 * chain. A present Authorization header is always judged on its own, so a wrong token is never rescued by a
 * cookie. Cookie-authenticated writes must also be same-origin (CSRF).
 */
export function requireAdmin(adminToken: string, opts: { publicUrl?: string } = {}): MiddlewareHandler {
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
    if (!(await timingSafeEqual(match[1]!, adminToken))) {
      throw new ApiError(401, 'unauthorized', 'authorization: admin token is not valid');
    }
    await next();
  };
}
