import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { timingSafeEqual } from 'hono/utils/buffer';
import { z } from 'zod';
import { ApiError, describeIssues } from '../errors.ts';
import { ADMIN_SESSION_TTL_MS } from '../portal/admin-sessions.ts';
import { limitBody, MAX_ADMIN_LOGIN_BODY_BYTES } from '../middleware/body-limit.ts';
import type { AdminSessionStore, PortalStore } from '../storage/types.ts';

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

/**
 * Cookie-authenticated writes must come from our own pages. SameSite=Strict already stops cross-site sends;
 * this origin check is the second lock for browsers or proxies that get SameSite wrong.
 */
export function isSameOriginRequest(c: Context, publicUrl?: string): boolean {
  const fetchSite = c.req.header('sec-fetch-site');
  if (fetchSite) return fetchSite === 'same-origin';
  const origin = c.req.header('origin');
  if (!origin) return false;
  const allowed = new Set([new URL(c.req.url).origin]);
  if (publicUrl) allowed.add(new URL(publicUrl).origin);
  return allowed.has(origin);
}

function isHttps(c: Context, publicUrl?: string): boolean {
  return (
    new URL(c.req.url).protocol === 'https:' ||
    c.req.header('x-forwarded-proto') === 'https' ||
    (publicUrl?.startsWith('https:') ?? false)
  );
}

function clientAddress(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'local';
}

const loginBody = z.object({ token: z.string({ error: 'required' }).min(1, 'required').max(512) });

/**
 * `/api/v1/admin/session`: `GET` says whether the browser is logged in (always 200, so the reports pages can
 * check without a console error), `POST {token}` exchanges the admin token for an HttpOnly, SameSite=Strict
 * cookie, `DELETE` logs out. The token itself never leaves this request.
 */
export function adminSessionRoutes(deps: { store: AdminSessionStore; loginFailures: PortalStore['loginFailures']; adminToken: string; publicUrl?: string }) {
  const app = new Hono({ strict: false });

  app.get('/', (c) => {
    c.header('cache-control', 'no-store');
    return c.json({ authenticated: c.get('adminSession') === true });
  });

  app.post('/', limitBody(MAX_ADMIN_LOGIN_BODY_BYTES), async (c) => {
    if (!isSameOriginRequest(c, deps.publicUrl)) {
      throw new ApiError(403, 'forbidden', 'origin: login must come from the reports page');
    }
    // Wrong tokens are counted per address in the database, so every instance sees them; the token's length makes
    // guessing hopeless, this keeps logs quiet. Ten inside 15 minutes lock the address until the window ends.
    const bucket = `admin-login:${clientAddress(c)}`;
    const now = Date.now();
    const lockedFor = await deps.loginFailures.lockedFor(bucket, now);
    if (lockedFor > 0) {
      throw new ApiError(429, 'rate_limited', 'token: too many wrong tokens, try again later', { headers: { 'Retry-After': String(lockedFor) } });
    }
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
    if (!(await timingSafeEqual(parsed.data.token, deps.adminToken))) return refuse(new ApiError(401, 'unauthorized', 'token: admin token is not valid'));
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
