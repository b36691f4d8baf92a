import { Hono, type MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { ApiError, describeIssues } from '../errors.ts';
import { type AdminLoginFailures, adminFailureBucket, adminTokenCheck, refuseLockedAdminClient } from '../middleware/admin.ts';
import { limitBody, MAX_ADMIN_LOGIN_BODY_BYTES } from '../middleware/body-limit.ts';
import { isHttps } from '../middleware/client-address.ts';
import { ADMIN_SESSION_TTL_MS } from '../portal/admin-sessions.ts';
import { isSameOriginRequest } from '../portal/request.ts';
import type { AdminSessionStore } from '../storage/types.ts';

/** Name of the HttpOnly cookie that carries the reports session id. */
export const ADMIN_SESSION_COOKIE = 'onramp_admin_session';
/** The cookie is only needed by API calls, so static pages never receive it. */
const COOKIE_PATH = '/api/';

declare module 'hono' {
  interface ContextVariableMap {
    /** True when the request carries a valid reports session cookie (set by `adminSessionCookie`). */
    adminSession?: boolean;
  }
}

/**
 * Marks requests that carry a valid session cookie so `requireAdmin` can accept them. Requests with an
 * Authorization header are left to the bearer check, so an explicit token always wins over a cookie.
 */
export function adminSessionCookie(store: AdminSessionStore): MiddlewareHandler {
  return async (c, next) => {
    if (!c.req.header('authorization')) {
      const id = getCookie(c, ADMIN_SESSION_COOKIE);
      if (id && (await store.isValid(id))) c.set('adminSession', true);
    }
    await next();
  };
}

const loginBody = z.object({ token: z.string({ error: 'required' }).min(1, 'required').max(512) });

/**
 * `/api/v1/admin/session`: `GET` says whether the browser is logged in (always 200, so the reports pages can
 * check without a console error), `POST {token}` exchanges the admin token for an HttpOnly, SameSite=Strict
 * cookie, `DELETE` logs out. The token itself never leaves this request.
 */
export function adminSessionRoutes(deps: { store: AdminSessionStore; loginFailures: AdminLoginFailures; adminToken: string; publicUrl?: string }) {
  const app = new Hono({ strict: false });
  const isAdminToken = adminTokenCheck(deps.adminToken);

  app.get('/', (c) => {
    c.header('cache-control', 'no-store');
    return c.json({ authenticated: c.get('adminSession') === true });
  });

  app.post('/', limitBody(MAX_ADMIN_LOGIN_BODY_BYTES), async (c) => {
    if (!isSameOriginRequest(c, deps.publicUrl)) {
      throw new ApiError(403, 'forbidden', 'origin: login must come from the reports page');
    }
    // Wrong tokens are counted per client address in the database, so every instance sees them, in the same
    // counter as wrong Bearer tokens (api/middleware/admin.ts). Ten inside 15 minutes lock the client out.
    const bucket = adminFailureBucket(c);
    const now = Date.now();
    await refuseLockedAdminClient(c, deps.loginFailures, now);
    // A malformed body is a failed attempt too, so garbage cannot probe the endpoint without touching the lockout.
    const refuse = async (error: ApiError): Promise<never> => {
      await deps.loginFailures.record(bucket, now);
      throw error;
    };
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return refuse(new ApiError(400, 'invalid_request', 'body: must be JSON like {"token": "..."}'));
    }
    const parsed = loginBody.safeParse(body);
    if (!parsed.success) return refuse(new ApiError(400, 'invalid_request', describeIssues(parsed.error.issues)));
    if (!isAdminToken(parsed.data.token)) return refuse(new ApiError(401, 'unauthorized', 'token: admin token is not valid'));
    await deps.loginFailures.clear(bucket);
    const session = await deps.store.create(now);
    setCookie(c, ADMIN_SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c, deps.publicUrl),
      path: COOKIE_PATH,
      maxAge: Math.floor(ADMIN_SESSION_TTL_MS / 1000),
    });
    c.header('cache-control', 'no-store');
    return c.json({ authenticated: true, expiresAt: new Date(session.expiresAt).toISOString() });
  });

  app.delete('/', async (c) => {
    const id = getCookie(c, ADMIN_SESSION_COOKIE);
    if (id && !isSameOriginRequest(c, deps.publicUrl)) {
      throw new ApiError(403, 'forbidden', 'origin: logout must come from the reports page');
    }
    if (id) await deps.store.revoke(id);
    deleteCookie(c, ADMIN_SESSION_COOKIE, { path: COOKIE_PATH, secure: isHttps(c, deps.publicUrl), httpOnly: true, sameSite: 'Strict' });
    return c.json({ authenticated: false });
  });

  return app;
}
