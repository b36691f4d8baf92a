import { FEEDBACK_COMMENT_MAX, FEEDBACK_REASONS } from '../../site/tracking/events.ts';
import { ApiError } from '../errors.ts';

/** Largest serialized `properties` of one event, `$set` and `$set_once` included, in UTF-8 bytes. */
export const MAX_EVENT_PROPERTIES_BYTES = 64 * 1024;
/** Deepest nesting of objects and arrays accepted inside properties, well within what JSON.stringify can recurse. */
export const MAX_PROPERTY_DEPTH = 1000;
/** Longest path-like property Onramp reads (`$pathname`, `path`, `endpoint`): far beyond any real URL path. */
export const MAX_PATH_CHARS = 2048;
/** Longest `error_code` property (the API-health report groups by it). */
export const MAX_ERROR_CODE_CHARS = 100;

/** The reasons a `doc_feedback` event may carry: exactly those the portal's feedback form offers. */
export const FEEDBACK_REASON_VALUES: ReadonlySet<string> = new Set(FEEDBACK_REASONS.map((r) => r.value));

/** Properties Onramp's reports read from any event, with their longest accepted length in characters. */
const BOUNDED_STRINGS: ReadonlyArray<readonly [string, number]> = [
  ['$pathname', MAX_PATH_CHARS],
  ['path', MAX_PATH_CHARS],
  ['endpoint', MAX_PATH_CHARS],
  ['error_code', MAX_ERROR_CODE_CHARS],
];

/** Longest a number serializes to (`-1.7976931348623157e+308`). */
const MAX_NUMBER_CHARS = 24;

const invalidField = (field: string, problem: string) => new ApiError(400, 'invalid_event', `${field}: ${problem}`);

/**
 * An upper bound of the UTF-8 size of `JSON.stringify(value)`, checking nesting depth on the way. A string counts
 * 6 bytes a character (the longest escape), so the bound is cheap and never low; only when it passes the event
 * limit does the caller serialize for the exact size. Objects with `toJSON` (a Date from an in-process caller) serialize
 * to something their keys do not show, so they make the bound infinite.
 */
function sizeBound(value: unknown, field: string, depth: number): number {
  if (typeof value === 'string') return 2 + 6 * value.length;
  if (typeof value !== 'object' || value === null) return MAX_NUMBER_CHARS;
  if (depth > MAX_PROPERTY_DEPTH) throw new ApiError(400, 'invalid_request', `${field}: nested deeper than ${MAX_PROPERTY_DEPTH} levels`);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return Infinity;
  let bytes = 2;
  for (const key in value) bytes += 2 + 6 * key.length + 2 + sizeBound((value as Record<string, unknown>)[key], field, depth + 1);
  return bytes;
}

/**
 * Checks one event's properties (with `$set` and `$set_once` already merged in) against the per-event bounds:
 * nesting depth, total serialized size, and the length or value of the fields Onramp's reports read. Throws a 400
 * naming the field under `field` (`batch[3].properties`). Returns the serialization when it had to compute it, so
 * the event need not serialize again.
 */
export function checkEventLimits(event: string, properties: Record<string, unknown>, field: string): string | undefined {
  for (const [name, max] of BOUNDED_STRINGS) {
    const value = properties[name];
    if (typeof value === 'string' && value.length > max) throw invalidField(`${field}.${name}`, `must be at most ${max} characters`);
  }
  if (event === 'doc_feedback') checkFeedback(properties, field);
  if (event === 'api_call') checkApiCall(properties, field);
  if (sizeBound(properties, field, 1) <= MAX_EVENT_PROPERTIES_BYTES) return undefined;
  const json = JSON.stringify(properties);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_EVENT_PROPERTIES_BYTES) {
    throw new ApiError(
      400,
      'event_too_large',
      `${field}: must be at most ${MAX_EVENT_PROPERTIES_BYTES} bytes serialized, with $set and $set_once (got ${bytes})`,
    );
  }
  return json;
}

/** `doc_feedback`: the comment is bounded text, the reason one of the form's five. */
function checkFeedback(properties: Record<string, unknown>, field: string): void {
  const { comment, reason } = properties;
  if (comment !== undefined && comment !== null) {
    if (typeof comment !== 'string') throw invalidField(`${field}.comment`, 'must be a string');
    if (comment.length > FEEDBACK_COMMENT_MAX) throw invalidField(`${field}.comment`, `must be at most ${FEEDBACK_COMMENT_MAX} characters`);
  }
  if (reason !== undefined && reason !== null && !(typeof reason === 'string' && FEEDBACK_REASON_VALUES.has(reason))) {
    throw invalidField(`${field}.reason`, `must be one of ${[...FEEDBACK_REASON_VALUES].join(', ')}`);
  }
}

/**
 * `api_call`: the `status` is a JSON number and the `error_code` text or an integer, when given. API health, the
 * call facts and the failed-call index each classify a call from them (api/analytics/api-traffic/call.ts, the
 * generated columns of db/schema/*.ts); a status sent as text or a code sent as a boolean or an object would be
 * read differently by SQLite, PostgreSQL and the rollups, so such a call is refused rather than counted three ways.
 */
function checkApiCall(properties: Record<string, unknown>, field: string): void {
  const { status, error_code: errorCode } = properties;
  if (status !== undefined && status !== null && typeof status !== 'number') throw invalidField(`${field}.status`, 'must be a number');
  if (errorCode !== undefined && errorCode !== null && typeof errorCode !== 'string' && !Number.isSafeInteger(errorCode)) {
    throw invalidField(`${field}.error_code`, 'must be a string or an integer');
  }
}
