import type { Context } from 'hono';
import { Hono } from 'hono';
import { ApiError } from '../errors.ts';
import {
  aborted,
  acceptedReply,
  CAPTURE_PATHS,
  type CaptureCore,
  type CaptureDeps,
  type CaptureHead,
  captureCoreOf,
  declaredLength,
  tooLarge,
} from '../ingest/capture-core.ts';
import { captureCors } from '../ingest/cors.ts';
import { MAX_BODY_BYTES } from '../ingest/decode.ts';
import { requestHeader } from '../ingest/headers.ts';

export { CAPTURE_PATHS };

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

/**
 * Reads the body under the 1 MiB cap. A declared Content-Length is checked before reading and then read on
 * @hono/node-server's direct path (no web stream per request); a chunked body is streamed and cut off at the cap.
 */
async function readCaptureBody(c: Context, head: CaptureHead): Promise<Uint8Array> {
  try {
    return await readBodyUnderCap(c, head);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // The client hung up or sent a body the HTTP parser refused mid-way: nothing was read, so nothing is stored.
    throw aborted();
  }
}

async function readBodyUnderCap(c: Context, head: CaptureHead): Promise<Uint8Array> {
  if (declaredLength(head) !== undefined) return new Uint8Array(await c.req.arrayBuffer());
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
 * A 200 `{ status: 1 }` is sent only after the writer has committed the events. The work itself is the shared
 * capture core (api/ingest/capture-core.ts); server.ts serves the same paths on a node:http fast lane with it.
 */
export function captureRoutes(deps: CaptureDeps | { core: CaptureCore }) {
  const core = captureCoreOf(deps);
  const app = new Hono({ strict: false });
  const cors = captureCors();
  for (const path of ['/flags', '/decide', '/array/*']) app.use(path, cors);
  const captureCorsFast = captureCors({ handlerSetsHeaders: true });
  for (const path of CAPTURE_PATHS) app.use(path, captureCorsFast);

  for (const path of CAPTURE_PATHS) {
    app.post(path, async (c) => {
      const head: CaptureHead = { header: (name) => requestHeader(c, name), query: (name) => c.req.query(name) };
      await core.capture(head, () => readCaptureBody(c, head));
      const reply = acceptedReply(head.header('origin'));
      return new Response(reply.body, { status: reply.status, headers: reply.headers });
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
