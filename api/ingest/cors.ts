import type { Context, MiddlewareHandler } from 'hono';
import { captureCorsHeaders } from './capture-core.ts';
import { requestHeader } from './headers.ts';

const ALLOW_METHODS = 'GET,HEAD,PUT,POST,DELETE,PATCH,QUERY';
const MAX_AGE = '86400';

/** The CORS headers of a capture reply: the request origin is reflected, with credentials (posthog-js sends them). */
export function corsHeaders(c: Context): Record<string, string> {
  return captureCorsHeaders(requestHeader(c, 'origin'));
}

/**
 * CORS for the capture and posthog-js support routes only (the portal and admin APIs get none).
 *
 * With `handlerSetsHeaders`, a POST handler puts `corsHeaders(c)` into its own `Response` as a plain record, which
 * keeps @hono/node-server on its fastest reply path (no WHATWG `Headers` per request); this middleware only adds
 * them to error replies built by `onError`. Otherwise headers go through `c.header()` before the handler runs.
 */
export function captureCors(opts: { handlerSetsHeaders?: boolean } = {}): MiddlewareHandler {
  return async function captureCorsHeaders(c: Context, next) {
    if (opts.handlerSetsHeaders && c.req.method === 'POST') {
      await next();
      if (c.error || c.res.status >= 400) for (const [name, value] of Object.entries(corsHeaders(c))) c.res.headers.set(name, value);
      return;
    }
    for (const [name, value] of Object.entries(corsHeaders(c))) c.header(name, value);
    if (c.req.method !== 'OPTIONS') return next();
    c.header('Access-Control-Max-Age', MAX_AGE);
    c.header('Access-Control-Allow-Methods', ALLOW_METHODS);
    const requested = requestHeader(c, 'access-control-request-headers');
    if (requested) {
      c.header(
        'Access-Control-Allow-Headers',
        requested
          .split(',')
          .map((h) => h.trim())
          .join(','),
      );
      c.header('Vary', 'Access-Control-Request-Headers', { append: true });
    }
    return c.body(null, 204);
  };
}
