import { Hono } from 'hono';
import type { Context } from 'hono';
import { ApiError } from '../errors.ts';
import { createBodyBudget } from '../ingest/budget.ts';
import { captureCors, corsHeaders } from '../ingest/cors.ts';
import { requestHeader } from '../ingest/headers.ts';
import { decodeCaptureBody, MAX_BODY_BYTES } from '../ingest/decode.ts';
import { validateCapture } from '../ingest/validate.ts';
import type { EventWriter } from '../ingest/writer.ts';

export const CAPTURE_PATHS = ['/e', '/i/v0/e', '/batch', '/capture', '/track'] as const;

/** Remote config posthog-js loads at start: everything Onramp does not serve is switched off. */
function remoteConfig(token: string) {
  return {
    token,
    supportedCompression: ['gzip', 'gzip-js'],
    hasFeatureFlags: false,
    captureDeadClicks: false,
    capturePerformance: false,
    autocapture_opt_out: true,
    autocaptureExceptions: false,
    analytics: { endpoint: '/i/v0/e/' },
    elementsChainAsString: true,
    errorTracking: { autocaptureExceptions: false, suppressionRules: [] },
    sessionRecording: false,
    heatmaps: false,
    surveys: false,
    productTours: false,
    defaultIdentifiedOnly: true,
    siteApps: [],
  };
}

const OK_BODY = JSON.stringify({ status: 1 });

const tooLarge = () => new ApiError(413, 'payload_too_large', `body: exceeds ${MAX_BODY_BYTES} bytes`);

/**
 * Reads the body under the 1 MiB cap. A declared Content-Length is checked before reading and then read on
 * @hono/node-server's direct path (no web stream per request); a chunked body is streamed and cut off at the cap.
 */
async function readCaptureBody(c: Context): Promise<Uint8Array> {
  try {
    return await readBodyUnderCap(c);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // The client hung up or sent a body the HTTP parser refused mid-way: nothing was read, so nothing is stored.
    throw new ApiError(400, 'request_aborted', 'body: the connection closed before the whole body arrived');
  }
}

/** What a request will hold in memory: its declared length, or the cap when it is chunked or lies about it. */
function expectedBodyBytes(c: Context): number {
  const declared = requestHeader(c, 'content-length');
  const bytes = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : MAX_BODY_BYTES;
  return Math.min(bytes, MAX_BODY_BYTES);
}

async function readBodyUnderCap(c: Context): Promise<Uint8Array> {
  const declared = requestHeader(c, 'content-length');
  if (declared !== undefined && requestHeader(c, 'transfer-encoding') === undefined) {
    if (!/^\d+$/.test(declared) || Number(declared) > MAX_BODY_BYTES) throw tooLarge();
    return new Uint8Array(await c.req.arrayBuffer());
  }
  const body = c.req.raw.body;
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/**
 * The PostHog-compatible capture API, so unchanged posthog-js and posthog-node clients can send here.
 * A 200 `{ status: 1 }` is sent only after the writer has committed the events.
 */
export function captureRoutes(deps: { writer: EventWriter; projectToken: string; maxInflightBodyBytes?: number }) {
  const budget = createBodyBudget(deps.maxInflightBodyBytes);
  const app = new Hono({ strict: false });
  const cors = captureCors();
  for (const path of ['/flags', '/decide', '/array/*']) app.use(path, cors);
  const captureCorsFast = captureCors({ handlerSetsHeaders: true });
  for (const path of CAPTURE_PATHS) app.use(path, captureCorsFast);

  for (const path of CAPTURE_PATHS) {
    app.post(path, async (c) => {
      const release = budget.reserve(expectedBodyBytes(c));
      let events;
      try {
        const raw = await readCaptureBody(c);
        const payload = decodeCaptureBody(raw, {
          contentType: requestHeader(c, 'content-type'),
          contentEncoding: requestHeader(c, 'content-encoding'),
          compression: c.req.query('compression'),
        });
        events = validateCapture(payload, { projectToken: deps.projectToken, querySentAt: c.req.query('sent_at') });
      } finally {
        release();
      }
      await deps.writer.write(events);
      return new Response(OK_BODY, { status: 200, headers: { 'Content-Type': 'application/json', ...corsHeaders(c) } });
    });
  }

  const flags = (c: { json: (body: unknown) => Response }) =>
    c.json({ flags: {}, featureFlags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false, quotaLimited: [], requestId: crypto.randomUUID() });
  app.post('/flags', flags);
  app.post('/decide', flags);

  app.get('/array/:token/config', (c) => c.json(remoteConfig(c.req.param('token'))));
  app.get('/array/:token/config.js', (c) => {
    const token = c.req.param('token');
    const config = JSON.stringify({ ...remoteConfig(token) });
    c.header('content-type', 'application/javascript; charset=utf-8');
    return c.body(
      `(function(){window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{};window._POSTHOG_REMOTE_CONFIG[${JSON.stringify(token)}]={config:${config},siteApps:[]}})();`,
    );
  });
  return app;
}
