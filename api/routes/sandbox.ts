import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { z } from 'zod';
import { ApiError, describeIssues } from '../errors.ts';
import { clientAddress, requestBaseUrl } from '../middleware/client-address.ts';
import { sha256Hex } from '../portal/ids.ts';
import { keyVerified } from '../portal/keys.ts';
import { decodeCursor } from '../portal/messages.ts';
import { PORTAL_LIMITS } from '../portal/rate-limit.ts';
import type { PortalStore } from '../storage/types.ts';
import type { Telemetry } from '../telemetry.ts';

/** The sandbox's error codes (each documented at `/docs/errors/#<code>`). */
export type SandboxErrorCode = 'missing_api_key' | 'invalid_api_key' | 'revoked_api_key' | 'parameter_invalid' | 'resource_missing' | 'rate_limit_exceeded';

const ERROR_TYPES: Record<SandboxErrorCode, string> = {
  missing_api_key: 'authentication_error',
  invalid_api_key: 'authentication_error',
  revoked_api_key: 'authentication_error',
  parameter_invalid: 'invalid_request_error',
  resource_missing: 'invalid_request_error',
  rate_limit_exceeded: 'rate_limit_error',
};

const STATUS: Record<SandboxErrorCode, 400 | 401 | 404 | 429> = {
  missing_api_key: 401,
  invalid_api_key: 401,
  revoked_api_key: 401,
  parameter_invalid: 400,
  resource_missing: 404,
  rate_limit_exceeded: 429,
};

declare module 'hono' {
  interface ContextVariableMap {
    /** Where the portal is reached from this request's client (no trailing slash), set by the sandbox's first middleware. */
    sandboxDocsBase?: string;
  }
}

/**
 * A Stripe-like sandbox error: `{ error: { type, code, message, doc_url } }`, still one ApiError class. `doc_url`
 * is absolute, so a developer reading the error in a terminal can open it: the base the request was served under
 * (see `requestBaseUrl`), or the bare path when the request never reached the sandbox's middleware.
 */
export function sandboxError(c: Context, code: SandboxErrorCode, message: string, headers?: Record<string, string>): ApiError {
  const docUrl = `${c.get('sandboxDocsBase') ?? ''}/docs/errors/#${code}`;
  return new ApiError(STATUS[code], code, message, { type: ERROR_TYPES[code], doc_url: docUrl, ...(headers ? { headers } : {}) });
}

const MAX_SANDBOX_BODY_BYTES = 64 * 1024;
const E164 = /^\+[1-9]\d{6,14}$/;

const createMessageSchema = z.object({
  to: z.string({ error: 'is required and must be a string' }).regex(E164, 'must be an E.164 phone number like +15551234567'),
  body: z
    .string({ error: 'is required and must be a string' })
    .refine((s) => [...s].length >= 1, 'must not be empty')
    .refine((s) => [...s].length <= 1600, 'must be at most 1600 characters'),
});

const listQuery = z.object({
  limit: z.coerce
    .number({ error: 'must be a whole number from 1 to 100' })
    .int('must be a whole number from 1 to 100')
    .min(1, 'must be a whole number from 1 to 100')
    .max(100, 'must be a whole number from 1 to 100')
    .default(10),
  cursor: z.string().optional(),
});

/** Maps a request path to its route pattern, so `endpoint` has a small, fixed set of values. */
export function endpointOf(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '/sandbox/v1/messages') return '/sandbox/v1/messages';
  if (/^\/sandbox\/v1\/messages\/[^/]+$/.test(trimmed)) return '/sandbox/v1/messages/:id';
  return '/sandbox/v1/*';
}

/** The key from `Authorization: Bearer <key>` (or HTTP Basic with the key as user name, as curl -u sends it). */
function presentedKey(c: Context): string {
  const header = c.req.header('authorization')?.trim() ?? '';
  if (!header) throw sandboxError(c, 'missing_api_key', 'authorization: no API key provided; send the header Authorization: Bearer onr_test_...');
  const [scheme = '', ...rest] = header.split(/\s+/);
  const credential = rest.join(' ');
  if (/^bearer$/i.test(scheme)) {
    if (!credential) throw sandboxError(c, 'missing_api_key', 'authorization: the Bearer header has no API key; send Authorization: Bearer onr_test_...');
    return credential;
  }
  if (/^basic$/i.test(scheme)) {
    const user = Buffer.from(credential, 'base64').toString('utf8').split(':')[0] ?? '';
    if (!user) throw sandboxError(c, 'missing_api_key', 'authorization: no API key provided; send the header Authorization: Bearer onr_test_...');
    return user;
  }
  throw sandboxError(c, 'invalid_api_key', 'authorization: use the Bearer scheme: Authorization: Bearer onr_test_...');
}

async function readMessageInput(c: Context): Promise<unknown> {
  const raw = new Uint8Array(await c.req.arrayBuffer());
  if (raw.byteLength > MAX_SANDBOX_BODY_BYTES) throw sandboxError(c, 'parameter_invalid', `body: request body must be at most ${MAX_SANDBOX_BODY_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw sandboxError(c, 'parameter_invalid', 'body: request body is not valid UTF-8');
  }
  if ((c.req.header('content-type') ?? '').toLowerCase().includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw sandboxError(c, 'parameter_invalid', 'body: request body must be a JSON object like {"to": "+15551234567", "body": "Hello"}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw sandboxError(c, 'parameter_invalid', 'body: request body must be a JSON object like {"to": "+15551234567", "body": "Hello"}');
  }
  return value;
}

function masked(prefix: string | null) {
  return prefix ? ` (${prefix}…)` : '';
}

interface Caller {
  accountId: string;
  keyId: string;
}

/** Who a call is attributed to, and whether the key's secret proved it (undefined: the key named nobody). */
interface Attribution {
  accountId: string | null;
  prefix: string | null;
  keyVerified: boolean | undefined;
}

/** The sandbox's dependencies. */
export interface SandboxDeps {
  portal: PortalStore;
  telemetry: Telemetry;
  /** ONRAMP_PUBLIC_URL: the base of every error's `doc_url` when set; else the request's own origin. */
  publicUrl?: string | undefined;
}

/**
 * The sandbox API (`/sandbox/v1`). One middleware authenticates the key, applies the per-key rate limit and,
 * whatever the outcome, records the call (dashboard table) and emits `api_call` — attributed to the key's owner
 * whenever the public prefix names one, even when the secret part is wrong or the key is revoked.
 */
export function sandboxRoutes(deps: SandboxDeps) {
  const { portal } = deps;
  const app = new Hono<{ Variables: { caller: Caller } }>({ strict: false });

  app.use('*', async (c, next) => {
    c.set('sandboxDocsBase', requestBaseUrl(c, deps.publicUrl));
    await next();
  });

  app.use(
    '*',
    cors({
      origin: '*',
      allowMethods: ['GET', 'POST', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type'],
      exposeHeaders: ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
      maxAge: 86400,
    }),
  );

  app.use('*', async (c, next) => {
    const started = performance.now();
    const startedAt = Date.now();
    let attribution: Attribution = { accountId: null, prefix: null, keyVerified: undefined };
    const finish = async (status: number, errorCode: string | undefined) => {
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      const endpoint = endpointOf(c.req.path);
      await portal.recordCall({
        accountId: attribution.accountId,
        keyPrefix: attribution.prefix,
        method: c.req.method,
        endpoint,
        status,
        errorCode: errorCode ?? null,
        durationMs,
        createdAt: startedAt,
      });
      // Calls whose key names nobody still count, under a per-client id so they don't merge into one person.
      const distinctId = attribution.accountId ?? `sandbox_unattributed_${sha256Hex(clientAddress(c)).slice(0, 12)}`;
      deps.telemetry.capture(
        distinctId,
        {
          event: 'api_call',
          properties: {
            status,
            method: c.req.method,
            endpoint,
            duration_ms: durationMs,
            ...(errorCode ? { error_code: errorCode } : {}),
            key_prefix: attribution.prefix,
            // Only where a key named a developer: false marks a call made in their name with a wrong secret.
            ...(attribution.keyVerified === undefined ? {} : { key_verified: attribution.keyVerified }),
          },
        },
        new Date(startedAt),
      );
    };

    try {
      const check = await portal.checkKey(presentedKey(c));
      attribution = { accountId: check.accountId, prefix: check.prefix, keyVerified: keyVerified(check) };
      if (check.status === 'live') {
        throw sandboxError(
          c,
          'invalid_api_key',
          "authorization: live keys (onr_live_...) can't call the sandbox; use a test key (onr_test_...) from your dashboard",
        );
      }
      if (check.status === 'invalid') {
        // Guessing secrets (or filling someone's dashboard with calls in their name) is limited per client address.
        const limit = await portal.hit(`sandbox:invalid_key:${sha256Hex(clientAddress(c))}`, PORTAL_LIMITS.sandboxInvalidKeyPerClient);
        if (!limit.allowed) {
          // Past the limit the calls stay recorded, but in nobody's dashboard.
          attribution = { ...attribution, accountId: null };
          throw sandboxError(
            c,
            'rate_limit_exceeded',
            `rate limit: more than ${limit.limit} calls with an invalid API key in ${PORTAL_LIMITS.sandboxInvalidKeyPerClient.windowMs / 1000} s from this address; retry in ${limit.retryAfterSeconds} s`,
            { 'Retry-After': String(limit.retryAfterSeconds) },
          );
        }
        throw sandboxError(c, 'invalid_api_key', `authorization: invalid API key${masked(check.prefix)}; copy the full onr_test_... key from your dashboard`);
      }
      if (check.status === 'revoked') {
        throw sandboxError(
          c,
          'revoked_api_key',
          `authorization: this API key${masked(check.prefix)} was revoked on ${new Date(check.revokedAt).toISOString()}; create a new key in your dashboard`,
        );
      }
      const limit = await portal.hit(`sandbox:key:${check.keyId}`, PORTAL_LIMITS.sandboxPerKey);
      const rateHeaders = {
        'X-RateLimit-Limit': String(limit.limit),
        'X-RateLimit-Remaining': String(limit.remaining),
        'X-RateLimit-Reset': String(Math.ceil(limit.resetAt / 1000)),
      };
      for (const [name, value] of Object.entries(rateHeaders)) c.header(name, value);
      if (!limit.allowed) {
        throw sandboxError(
          c,
          'rate_limit_exceeded',
          `rate limit: more than ${limit.limit} requests in ${PORTAL_LIMITS.sandboxPerKey.windowMs / 1000} s for this key; retry in ${limit.retryAfterSeconds} s`,
          { ...rateHeaders, 'Retry-After': String(limit.retryAfterSeconds) },
        );
      }
      await portal.touchKey(check.keyId);
      c.set('caller', { accountId: check.accountId, keyId: check.keyId });
      await next();
    } catch (err) {
      await finish(err instanceof ApiError ? err.status : 500, err instanceof ApiError ? err.code : 'internal');
      throw err;
    }
    await finish(c.res.status, c.error instanceof ApiError ? c.error.code : c.res.status >= 400 ? 'internal' : undefined);
  });

  // After the call-recording middleware, so an oversized body is still a recorded (and attributed) call.
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_SANDBOX_BODY_BYTES,
      onError: (c) => {
        throw sandboxError(c, 'parameter_invalid', `body: request body must be at most ${MAX_SANDBOX_BODY_BYTES} bytes`);
      },
    }),
  );

  app.post('/messages', async (c) => {
    const parsed = createMessageSchema.safeParse(await readMessageInput(c));
    if (!parsed.success) throw sandboxError(c, 'parameter_invalid', describeIssues(parsed.error.issues));
    return c.json(await portal.createMessage(c.get('caller'), parsed.data), 201);
  });

  app.get('/messages', async (c) => {
    const parsed = listQuery.safeParse(c.req.query());
    if (!parsed.success) throw sandboxError(c, 'parameter_invalid', describeIssues(parsed.error.issues));
    let after: number | null = null;
    if (parsed.data.cursor !== undefined) {
      after = decodeCursor(parsed.data.cursor);
      if (after === null) throw sandboxError(c, 'parameter_invalid', 'cursor: not a cursor this API issued; pass next_cursor from the previous page');
    }
    return c.json(await portal.listMessages(c.get('caller').accountId, parsed.data.limit, after));
  });

  app.get('/messages/:id', async (c) => {
    const id = c.req.param('id');
    const message = await portal.getMessage(c.get('caller').accountId, id);
    if (!message) throw sandboxError(c, 'resource_missing', `id: no such message ${JSON.stringify(id.slice(0, 64))}`);
    return c.json(message);
  });

  app.all('*', (c) => {
    throw sandboxError(c, 'resource_missing', `path: no sandbox endpoint ${c.req.method} ${c.req.path.slice(0, 200)}; see /docs/`);
  });

  return app;
}
