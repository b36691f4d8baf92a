import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '../errors.ts';

/** Largest `POST /api/v1/admin/session` body: `{"token": "..."}` with a 512-character token fits many times over. */
export const MAX_ADMIN_LOGIN_BODY_BYTES = 4 * 1024;
/** Largest alert-rule body (`/api/v1/alerts...`): a rule with its filters and webhook URL. */
export const MAX_ALERT_BODY_BYTES = 64 * 1024;

/** The 413 every bounded route answers, naming the limit. */
export function payloadTooLarge(maxBytes: number): ApiError {
  return new ApiError(413, 'payload_too_large', `body: exceeds ${maxBytes} bytes`);
}

/**
 * The one bounded body reader for JSON routes: Hono's `bodyLimit`, answering with the API's 413 error. A declared
 * Content-Length over the limit is refused before a byte is read; a chunked body is read only up to the limit, then
 * refused, and @hono/node-server discards (or closes the connection on) the rest, so memory never holds more than
 * `maxBytes` of it. Handlers behind it read the body as usual (`c.req.json()`).
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw payloadTooLarge(maxBytes);
    },
  });
}
