import type { RequestListener } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { OnrampDb } from '../db/client.ts';
import { alertRoutes } from './alerts/routes.ts';
import { publicBaseUrl } from './alerts/runner.ts';
import type { Env } from './env.ts';
import { ApiError } from './errors.ts';
import { type CaptureCore, createCaptureCore } from './ingest/capture-core.ts';
import { captureListener } from './ingest/capture-http.ts';
import { rejectMalformedRequests } from './malformed-requests.ts';
import { requireAdmin } from './middleware/admin.ts';
import { clientAddressResolver } from './middleware/client-address.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { settleBeforeReads, settleEvents } from './middleware/settle.ts';
import { adminSessionCookie, adminSessionRoutes } from './routes/admin-session.ts';
import { eventsRoutes } from './routes/events.ts';
import { ingestStatusRoutes } from './routes/ingest-status.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { portalRoutes } from './routes/portal.ts';
import { reportsRoutes } from './routes/reports.ts';
import { sandboxRoutes } from './routes/sandbox.ts';
import { newServerToken } from './server-token.ts';
import { sqliteStorage } from './storage/sqlite.ts';
import type { IngestWriter, Storage } from './storage/types.ts';
import { createTelemetry, inProcessTelemetry, type Telemetry } from './telemetry.ts';

export interface AppDeps {
  /** What the app runs on (SQLite or PostgreSQL); `db` is shorthand for `sqliteStorage(db)`. */
  storage?: Storage;
  db?: OnrampDb;
  env: Pick<Env, 'ONRAMP_PROJECT_TOKEN' | 'ONRAMP_ADMIN_TOKEN'> & Partial<Env>;
  /** Shared with server.ts so shutdown can drain it; created here when absent (tests). */
  writer?: IngestWriter;
  /** Client for server-side funnel events (server.ts); absent → in-process, or posthog-node to ONRAMP_POSTHOG_HOST. */
  telemetry?: Telemetry;
  /** The process's one capture core (server.ts creates it); created here when absent. */
  capture?: CaptureCore;
}

/**
 * Builds the Hono app: everything but capture, which {@link appListener} serves in front of it. It never listens:
 * server.ts serves it, tests call `app.request()` (and go through a real listener for capture).
 */
export function createApp(deps: AppDeps) {
  const storage = deps.storage ?? (deps.db ? sqliteStorage(deps.db) : undefined);
  if (!storage) throw new Error('createApp: pass a storage (or a SQLite db)');
  const writer = deps.writer ?? storage.createWriter();
  const app = new Hono({ strict: false });

  app.onError((err, c) => {
    if (err instanceof ApiError) {
      for (const [name, value] of Object.entries(err.extras.headers ?? {})) c.header(name, value);
      return c.json(err.toBody(), err.status);
    }
    if (err instanceof HTTPException && err.status < 500) {
      return c.json({ error: { code: 'bad_request', message: err.message || 'request: malformed' } }, err.status);
    }
    console.error('[onramp] unhandled error', err);
    return c.json({ error: { code: 'internal', message: 'server: unexpected error' } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `path: no route for ${c.req.method} ${c.req.path}` } }, 404));
  // First, so every rate limit and lockout sees the client address (behind a trusted proxy: its X-Forwarded-For).
  app.use('*', clientAddressResolver(deps.env.ONRAMP_TRUSTED_PROXIES ?? []));
  // Before every route, so portal, docs, report pages and their APIs all get CSP & co. (capture routes excepted).
  app.use('*', securityHeaders({ https: deps.env.ONRAMP_PUBLIC_URL?.startsWith('https:') ?? false }));

  const adminSessionStore = storage.adminSessions(deps.env.ONRAMP_ADMIN_TOKEN);
  app.use('/api/*', adminSessionCookie(adminSessionStore));
  app.route(
    '/api/v1/admin/session',
    adminSessionRoutes({
      store: adminSessionStore,
      loginFailures: storage.portal.loginFailures,
      adminToken: deps.env.ONRAMP_ADMIN_TOKEN,
      publicUrl: deps.env.ONRAMP_PUBLIC_URL,
    }),
  );

  // Without one from server.ts (tests), a token for this app alone: server events still need it, not the public one.
  const serverToken = deps.env.ONRAMP_SERVER_TOKEN ?? newServerToken();
  const captureTokens = { projectToken: deps.env.ONRAMP_PROJECT_TOKEN, serverToken, acceptPublicServerEvents: deps.env.ONRAMP_ACCEPT_PUBLIC_SERVER_EVENTS };
  // One capture core per process, served over HTTP by api/ingest/capture-http.ts (see appListener), not by Hono.
  const capture = deps.capture ?? createCaptureCore({ writer, ...captureTokens });

  const admin = requireAdmin(deps.env.ONRAMP_ADMIN_TOKEN, { publicUrl: deps.env.ONRAMP_PUBLIC_URL, loginFailures: storage.portal.loginFailures });
  // Readers of `events` first apply whatever capture has acknowledged, so no report misses an acknowledged event. On
  // SQLite this server is the log's only appender, so with nothing acknowledged since the last settle that is all.
  const settle = settleBeforeReads(writer, { soleAppender: storage.dialect === 'sqlite' });
  for (const path of ['/api/v1/events', '/api/v1/events/*', '/api/v1/reports', '/api/v1/reports/*']) app.use(path, admin, settleEvents(settle));
  app.route('/api/v1/events', eventsRoutes({ listEvents: storage.listEvents }));
  app.use('/api/v1/ingest/*', admin);
  app.route('/api/v1/ingest', ingestStatusRoutes({ writer }));
  app.use('/api/v1/alerts/*', admin);
  app.use('/api/v1/alerts', admin);
  app.route(
    '/api/v1/alerts',
    alertRoutes({
      alerts: storage.alerts,
      runner: {
        baseUrl: publicBaseUrl(deps.env),
        settle,
        delivery: { allowPrivateTargets: deps.env.ONRAMP_ALERTS_ALLOW_PRIVATE_WEBHOOKS ?? false },
      },
    }),
  );
  app.route(
    '/api/v1/reports',
    reportsRoutes({ reports: storage.reports, testAccountFilters: deps.env.ONRAMP_TEST_ACCOUNT_FILTERS, apiSlo: deps.env.ONRAMP_API_SLO }),
  );
  app.use('/api/v1/openapi.json', admin);
  app.route('/api/v1/openapi.json', openApiRoutes());

  // Without a client from server.ts: posthog-node to ONRAMP_POSTHOG_HOST when set, else straight into capture.
  const telemetry =
    deps.telemetry ??
    (deps.env.ONRAMP_POSTHOG_HOST
      ? createTelemetry({ token: serverToken, host: deps.env.ONRAMP_POSTHOG_HOST, compress: true })
      : inProcessTelemetry((payload) => capture.ingest(payload), serverToken));
  app.route('/api/v1/portal', portalRoutes({ portal: storage.portal, telemetry, publicUrl: deps.env.ONRAMP_PUBLIC_URL }));
  app.route('/sandbox/v1', sandboxRoutes({ portal: storage.portal, telemetry, publicUrl: deps.env.ONRAMP_PUBLIC_URL }));

  return Object.assign(app, { writer, telemetry, storage, serverToken, capture });
}

export type OnrampApp = ReturnType<typeof createApp>;

/**
 * The process's node:http request listener: malformed request lines and Host headers are refused first, the capture
 * surface is answered by api/ingest/capture-http.ts with the app's capture core, and everything else goes to Hono
 * (`honoListener`, by default @hono/node-server's listener for `app.fetch`).
 */
export function appListener(app: Pick<OnrampApp, 'capture' | 'fetch'>, honoListener: RequestListener = getRequestListener(app.fetch)): RequestListener {
  return rejectMalformedRequests(captureListener(app.capture, honoListener));
}
