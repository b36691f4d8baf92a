import type { Context, MiddlewareHandler } from 'hono';
import { requestHeader } from './headers.ts';

const ALLOW_METHODS = 'GET,HEAD,PUT,POST,DELETE,PATCH,QUERY';
const MAX_AGE = '86400';

/**
 * CORS for the capture routes only: posthog-js on any site posts here with credentials, so the request origin is
 * reflected. Headers go through `c.header()` before the handler runs, which keeps @hono/node-server on its fast
 * response path (hono's `cors()` touches `c.res` and forces a full `Response` per request), and error replies
 * built in `onError` carry them too. Scoped per path, so the portal and admin APIs get no permissive CORS.
 */
export function captureCors(): MiddlewareHandler {
  return async function captureCorsHeaders(c: Context, next) {
    const origin = requestHeader(c, 'origin');
    c.header('Access-Control-Allow-Origin', origin || '*');
    c.header('Access-Control-Allow-Credentials', 'true');
    c.header('Vary', 'Origin');
    if (c.req.method !== 'OPTIONS') return next();
    c.header('Access-Control-Max-Age', MAX_AGE);
    c.header('Access-Control-Allow-Methods', ALLOW_METHODS);
    const requested = requestHeader(c, 'access-control-request-headers');
    if (requested) {
      c.header('Access-Control-Allow-Headers', requested.split(',').map((h) => h.trim()).join(','));
      c.header('Vary', 'Access-Control-Request-Headers', { append: true });
    }
    return c.body(null, 204);
  };
}
