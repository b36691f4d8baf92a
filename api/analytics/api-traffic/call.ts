/**
 * What the API traffic rollups read from one `api_call` event: pure, so the rollups, the per-person call facts and
 * the tests classify a call the same way.
 */
import { capText, TEXT_CAPS } from '../contract.ts';

/** Endpoint shown for calls that named none. */
export const UNKNOWN_ENDPOINT = '(unknown)';
/**
 * Longest endpoint kept in a rollup key: PostgreSQL's B-tree entries must stay under about 2.7 kB, and 256
 * characters is the cut the other text helpers of `events` use.
 */
export const ENDPOINT_CAP = 256;
/** Longest HTTP method kept. */
export const METHOD_CAP = 16;
/** `status` of a call that sent no numeric status. */
export const NO_STATUS = -1;
/** Flag bit: the call failed (status >= 400, 429 included, or any `error_code`). */
export const FAILED = 1;
/** Flag bit: refused (401 / 403) for a key the API could not verify (`key_verified: false`). */
export const UNVERIFIED = 2;

/** One call as the rollups key it. */
export interface CallKey {
  endpoint: string;
  method: string;
  status: number;
  /** The failure code: `error_code`, else the status as text; '' when the call did not fail. */
  code: string;
  flags: number;
}

/** A JSON property value as text: strings as themselves, anything else as compact JSON. */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Reads an `api_call`'s properties into its rollup key and its duration (undefined without a numeric one). */
export function classifyCall(properties: Record<string, unknown>): { key: CallKey; durationMs: number | undefined } {
  const status = typeof properties.status === 'number' && Number.isFinite(properties.status) ? properties.status : NO_STATUS;
  const errorCode = properties.error_code;
  const failed = status >= 400 || (errorCode !== undefined && errorCode !== null);
  const code = failed ? capText(errorCode !== undefined && errorCode !== null ? asText(errorCode) : String(status), TEXT_CAPS.errorCode) : '';
  const unverified = (status === 401 || status === 403) && properties.key_verified === false;
  const endpoint = properties.endpoint;
  const method = properties.method;
  const duration = properties.duration_ms;
  return {
    key: {
      endpoint: endpoint === undefined || endpoint === null ? UNKNOWN_ENDPOINT : capText(asText(endpoint), ENDPOINT_CAP),
      method: typeof method === 'string' ? capText(method.toUpperCase(), METHOD_CAP) : '',
      status,
      code,
      flags: (failed ? FAILED : 0) | (unverified ? UNVERIFIED : 0),
    },
    durationMs: typeof duration === 'number' && Number.isFinite(duration) ? duration : undefined,
  };
}

/** Whether a status counts in `errorRate`: 5xx, or 4xx except 429 (rate limiting is the API working as documented). */
export function isRatedError(status: number): boolean {
  return status >= 500 || (status >= 400 && status < 500 && status !== 429);
}

/** Whether a call succeeded: a 2xx status. */
export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Status classes of the series' `byStatusClass`. */
export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '429', '5xx'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** The class of a status, or undefined for informational, missing or odd ones. */
export function statusClass(status: number): StatusClass | undefined {
  if (status === 429) return '429';
  if (status >= 200 && status < 300) return '2xx';
  if (status >= 300 && status < 400) return '3xx';
  if (status >= 400 && status < 500) return '4xx';
  if (status >= 500 && status < 600) return '5xx';
  return undefined;
}
