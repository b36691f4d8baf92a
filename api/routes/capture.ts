import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { ApiError } from '../errors.ts';
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

/**
 * The PostHog-compatible capture API, so unchanged posthog-js and posthog-node clients can send here.
 * A 200 `{ status: 1 }` is sent only after the writer has committed the events.
 */
export function captureRoutes(deps: { writer: EventWriter; projectToken: string }) {
  const app = new Hono({ strict: false });
  app.use('*', cors({ origin: (origin) => origin || '*', credentials: true, maxAge: 86400 }));

  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `body: exceeds ${MAX_BODY_BYTES} bytes`);
    },
  });

  for (const path of CAPTURE_PATHS) {
    app.post(path, limit, async (c) => {
      const raw = new Uint8Array(await c.req.arrayBuffer());
      const payload = decodeCaptureBody(raw, {
        contentType: c.req.header('content-type'),
        contentEncoding: c.req.header('content-encoding'),
        compression: c.req.query('compression'),
      });
      const events = validateCapture(payload, { projectToken: deps.projectToken, querySentAt: c.req.query('sent_at') });
      await deps.writer.write(events);
      return c.json({ status: 1 });
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
