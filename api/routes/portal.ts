import { Hono } from 'hono';
import { limitBody } from '../middleware/body-limit.ts';
import { MAX_PORTAL_BODY_BYTES, sameOriginOnly } from '../portal/request.ts';
import { authRoutes, type PortalDeps } from './auth.ts';
import { keysRoutes } from './keys.ts';
import { supportRoutes } from './support.ts';

export type { PortalDeps } from './auth.ts';

/**
 * The developer-portal JSON API, mounted at `/api/v1/portal`: accounts and sessions, API keys, recent sandbox
 * calls and support tickets. Cookie-authenticated, so every unsafe method passes the same-origin (CSRF) check.
 */
export function portalRoutes(deps: PortalDeps) {
  const app = new Hono({ strict: false });
  app.use('*', sameOriginOnly(deps.publicUrl));
  // Stops reading a huge body as soon as it passes the limit, instead of buffering it first.
  app.use('*', limitBody(MAX_PORTAL_BODY_BYTES));
  app.use('*', async (c, next) => {
    await next();
    // Account data and one-time secrets must never sit in a shared or browser cache.
    c.header('Cache-Control', 'no-store');
    // The portal API is same-origin only: drop the permissive CORS headers the capture routes add to every path,
    // so no other origin (not even a same-site one) can read a developer's keys or calls with their cookie.
    for (const name of [...c.res.headers.keys()]) if (name.startsWith('access-control-')) c.res.headers.delete(name);
  });
  app.route('/', authRoutes(deps));
  app.route('/', keysRoutes(deps));
  app.route('/', supportRoutes(deps));
  return app;
}
