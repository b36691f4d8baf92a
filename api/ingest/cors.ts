import { captureCorsHeaders } from './capture-core.ts';

const ALLOW_METHODS = 'GET,HEAD,PUT,POST,DELETE,PATCH,QUERY';
const MAX_AGE = '86400';

/**
 * The headers of a CORS preflight (`OPTIONS`) answer on the capture surface: the origin is reflected with
 * credentials, every method is allowed for a day, and the requested headers are allowed as asked (posthog-js asks
 * for `content-type`). The portal and admin APIs get no CORS at all.
 */
export function preflightHeaders(origin: string | undefined, requestedHeaders: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { ...captureCorsHeaders(origin), 'Access-Control-Max-Age': MAX_AGE, 'Access-Control-Allow-Methods': ALLOW_METHODS };
  if (requestedHeaders) {
    headers['Access-Control-Allow-Headers'] = requestedHeaders
      .split(',')
      .map((h) => h.trim())
      .join(',');
    headers.Vary = 'Origin, Access-Control-Request-Headers';
  }
  return headers;
}
