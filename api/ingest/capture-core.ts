import { ApiError } from '../errors.ts';
import { createBodyBudget } from './budget.ts';
import { decodeCaptureBody, MAX_BODY_BYTES } from './decode.ts';
import type { RawCapture } from './raw-log.ts';
import { type NormalizedEvent, validateCapture } from './validate.ts';

/** Paths of the PostHog capture endpoints, each also served with a trailing slash. */
export const CAPTURE_PATHS = ['/e', '/i/v0/e', '/batch', '/capture', '/track'] as const;

/** What capture needs to know about a request besides its body; header names are lower case. */
export interface CaptureHead {
  header(name: string): string | undefined;
  query(name: string): string | undefined;
}

/**
 * Anything that stores events and resolves once they are durable: the SQLite or the PostgreSQL writer. `raw` is the
 * request the events came from, for a writer that can log it as received (api/ingest/raw-log.ts).
 */
export interface CaptureWriter {
  write(events: ReadonlyArray<NormalizedEvent>, raw?: RawCapture): Promise<void>;
}

/** A capture reply as plain data: status, headers and body, sent by api/ingest/capture-http.ts. */
export interface CaptureReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const OK_BODY = JSON.stringify({ status: 1 });

/** The CORS headers of a capture reply: the request origin is reflected, with credentials (posthog-js sends them). */
export function captureCorsHeaders(origin: string | undefined): Record<string, string> {
  return { 'Access-Control-Allow-Origin': origin || '*', 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' };
}

/** The 200 `{ status: 1 }` sent once the events are stored. */
export function acceptedReply(origin: string | undefined): CaptureReply {
  return { status: 200, headers: { 'Content-Type': 'application/json', ...captureCorsHeaders(origin) }, body: OK_BODY };
}

/**
 * The JSON error reply for `err` on the capture surface: the body `app.onError` gives every other route (an ApiError's
 * own, or a 500 `internal`), the error's extra headers (`Retry-After`) and the capture CORS headers.
 */
export function errorReply(err: unknown, origin: string | undefined): CaptureReply {
  const apiError = err instanceof ApiError ? err : undefined;
  if (!apiError) console.error('[onramp] unhandled error', err);
  const body = JSON.stringify(apiError ? apiError.toBody() : { error: { code: 'internal', message: 'server: unexpected error' } });
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries(apiError?.extras.headers ?? {})) merged[name.toLowerCase()] = value;
  merged['content-type'] = 'application/json';
  for (const [name, value] of Object.entries(captureCorsHeaders(origin))) merged[name.toLowerCase()] = value;
  const headers: Record<string, string> = {};
  for (const name of Object.keys(merged).sort()) headers[name] = merged[name]!;
  return { status: apiError?.status ?? 500, headers, body };
}

export const tooLarge = () => new ApiError(413, 'payload_too_large', `body: exceeds ${MAX_BODY_BYTES} bytes`);

/** Thrown for a body the client stopped sending: nothing was read, so nothing is stored. */
export const aborted = () => new ApiError(400, 'request_aborted', 'body: the connection closed before the whole body arrived');

/**
 * The declared body length when the body will arrive with a Content-Length (not chunked), checked against the cap
 * before reading; `undefined` for a chunked body, which the reader cuts off at the cap instead.
 */
export function declaredLength(head: CaptureHead): number | undefined {
  const declared = head.header('content-length');
  if (declared === undefined || head.header('transfer-encoding') !== undefined) return undefined;
  if (!/^\d+$/.test(declared) || Number(declared) > MAX_BODY_BYTES) throw tooLarge();
  return Number(declared);
}

/** What a request will hold in memory: its declared length, or the cap when it is chunked or lies about it. */
function expectedBodyBytes(head: CaptureHead): number {
  const declared = head.header('content-length');
  const bytes = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : MAX_BODY_BYTES;
  return Math.min(bytes, MAX_BODY_BYTES);
}

/** What capture checks tokens against (api/ingest/validate.ts `checkTokens`). */
export interface CaptureTokens {
  projectToken: string;
  /** ONRAMP_SERVER_TOKEN: required for server-defined events unless `acceptPublicServerEvents`. */
  serverToken?: string | undefined;
  acceptPublicServerEvents?: boolean | undefined;
}

/** What a capture core is built from: the writer, the tokens, and optionally a smaller in-flight body budget. */
export interface CaptureDeps extends CaptureTokens {
  writer: CaptureWriter;
  maxInflightBodyBytes?: number | undefined;
}

/**
 * Capture without a framework: reserve body memory, read, decode, validate, store. Resolves once the writer has
 * committed the events (the caller then sends {@link acceptedReply}); rejects with the ApiError to answer.
 * api/ingest/capture-http.ts calls it for every capture request (its `readBody` enforces the 1 MiB cap), and the
 * backend's own telemetry calls `ingest` directly. One core per process, so one body budget.
 */
export function createCaptureCore(deps: CaptureDeps) {
  const budget = createBodyBudget(deps.maxInflightBodyBytes);
  return {
    async capture(head: CaptureHead, readBody: () => Promise<Uint8Array>): Promise<void> {
      const release = budget.reserve(expectedBodyBytes(head));
      let events: NormalizedEvent[];
      let raw: RawCapture;
      try {
        const body = await readBody();
        const meta = { contentType: head.header('content-type'), contentEncoding: head.header('content-encoding'), compression: head.query('compression') };
        raw = { body, meta, querySentAt: head.query('sent_at'), projectToken: deps.projectToken };
        events = validateCapture(decodeCaptureBody(body, meta), {
          projectToken: deps.projectToken,
          serverToken: deps.serverToken,
          acceptPublicServerEvents: deps.acceptPublicServerEvents,
          querySentAt: raw.querySentAt,
        });
      } finally {
        release();
      }
      await deps.writer.write(events, raw);
    },
    /**
     * Captures an already-decoded payload from inside the process (the backend's own telemetry): the same validator
     * and tokens as an HTTP request, with no body to read or budget to reserve. Resolves once the events are stored.
     */
    async ingest(payload: unknown): Promise<void> {
      const events = validateCapture(payload, {
        projectToken: deps.projectToken,
        serverToken: deps.serverToken,
        acceptPublicServerEvents: deps.acceptPublicServerEvents,
      });
      await deps.writer.write(events);
    },
    /** Body bytes reserved by requests in flight (tests). */
    get reservedBodyBytes() {
      return budget.reservedBytes;
    },
  };
}

export type CaptureCore = ReturnType<typeof createCaptureCore>;

/** The capture core a route or lane should use: the one given (shared by the whole process), or a new one. */
export function captureCoreOf(deps: CaptureDeps | { core: CaptureCore }): CaptureCore {
  return 'core' in deps ? deps.core : createCaptureCore(deps);
}
