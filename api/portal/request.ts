import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from '../errors.ts';
import { ownOrigin } from '../middleware/client-address.ts';

/** Largest JSON body the portal routes read; forms are tiny, so anything bigger is a mistake or an attack. */
export const MAX_PORTAL_BODY_BYTES = 16 * 1024;

/**
 * Parses the body as a JSON object, or throws 400 naming `body`. The size is bounded before this runs, by
 * `limitBody(MAX_PORTAL_BODY_BYTES)` on every portal route (api/routes/portal.ts).
 */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  const raw = await c.req.arrayBuffer();
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    throw new ApiError(400, 'invalid_request', 'body: must be a JSON object');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'invalid_request', 'body: must be a JSON object');
  }
  return value as Record<string, unknown>;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const FORM_CONTENT_TYPE = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

/**
 * CSRF guard for the cookie-authenticated portal API: an unsafe request that a browser marks as coming from
 * another origin is refused. Browsers always send `Origin` (or at least `Sec-Fetch-Site`) on cross-origin POST and
 * DELETE, so a forged request from another site always carries one of them; clients that send neither are not
 * browsers and cannot ride a victim's cookie.
 */
export function sameOriginOnly(publicUrl: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method)) {
      const origin = c.req.header('origin');
      const fetchSite = c.req.header('sec-fetch-site');
      let allowed = true;
      if (origin !== undefined) {
        allowed = origin === ownOrigin(c, publicUrl);
      } else if (fetchSite !== undefined) {
        allowed = fetchSite === 'same-origin' || fetchSite === 'none';
      } else {
        // No browser marker at all: still refuse the content types an HTML form can send (as Hono's csrf does),
        // in case an old browser omits Origin. The portal API only reads JSON anyway.
        allowed = !FORM_CONTENT_TYPE.test(c.req.header('content-type') ?? '');
      }
      if (!allowed) {
        throw new ApiError(403, 'csrf_rejected', 'origin: cross-site request refused; the portal API only accepts requests from its own pages');
      }
    }
    await next();
  };
}

/**
 * The stricter same-origin test of the reports session (login, logout, cookie-authenticated admin writes): the
 * browser must mark the request as same-origin, by `Sec-Fetch-Site` or an `Origin` equal to {@link ownOrigin}.
 * SameSite=Strict already stops cross-site sends; this is the second lock for browsers that get SameSite wrong.
 */
export function isSameOriginRequest(c: Context, publicUrl: string | undefined): boolean {
  const fetchSite = c.req.header('sec-fetch-site');
  if (fetchSite) return fetchSite === 'same-origin';
  const origin = c.req.header('origin');
  return origin !== undefined && origin === ownOrigin(c, publicUrl);
}
