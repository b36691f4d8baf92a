import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { type OnrampDb, openDb } from '../db/client.ts';
import { databaseDialect } from '../db/dialect.ts';
import { createAlertRunner, publicBaseUrl } from './alerts/runner.ts';
import { rebuildCallTrafficIfMissing } from './analytics/api-traffic/rebuild.ts';
import { retentionNotice, startCallRetention } from './analytics/api-traffic/retention.ts';
import { appListener, createApp } from './app.ts';
import { answerClientErrors } from './client-errors.ts';
import { seedDemoAlertRule } from './demo/alert-rule.ts';
import { type Env, parseEnv } from './env.ts';
import { createCaptureCore } from './ingest/capture-core.ts';
import { startCheckpointer } from './ingest/checkpointer.ts';
import { createForwarder, printableHost } from './ingest/forward.ts';
import { onShutdown } from './lifecycle.ts';
import { refuseConnect } from './malformed-requests.ts';
import { resolveServerToken } from './server-token.ts';
import { gracefulShutdown, SHUTDOWN_DEADLINE_MS, trackInFlight } from './shutdown.ts';
import { openPgStorage } from './storage/postgres.ts';
import type { SqlDatabase } from './storage/sql/interface.ts';
import { postgresDatabase } from './storage/sql/postgres.ts';
import { sqliteDatabase } from './storage/sql/sqlite.ts';
import { sqliteStorage } from './storage/sqlite.ts';
import type { Storage } from './storage/types.ts';
import { createTelemetry, inProcessTelemetry } from './telemetry.ts';

let env: Env;
try {
  env = parseEnv();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

// The DATABASE_URL scheme picks the dialect; both apply their migrations before anything else runs.
let storage: Storage;
let sqliteDb: OnrampDb | undefined;
let database: SqlDatabase;
if (databaseDialect(env.DATABASE_URL) === 'postgres') {
  try {
    const pg = await openPgStorage(env.DATABASE_URL);
    storage = pg;
    database = postgresDatabase(pg.db.$client);
  } catch (err) {
    console.error(`[onramp] cannot open PostgreSQL at ${printableHost(env.DATABASE_URL)}: ${(err as Error).message}`);
    process.exit(1);
  }
  console.log(`[onramp] storage: PostgreSQL at ${printableHost(env.DATABASE_URL)}`);
  if (env.adminTokenGenerated)
    console.warn(
      '[onramp] ONRAMP_ADMIN_TOKEN is not set: with several instances on one database, set the same token on each, or reports logins will not carry over',
    );
} else {
  sqliteDb = openDb(env.DATABASE_URL);
  storage = sqliteStorage(sqliteDb);
  database = sqliteDatabase(sqliteDb.$client);
}
// Generated once and kept in the database, so restarts and every instance on it agree; ONRAMP_SERVER_TOKEN wins.
const serverToken = await resolveServerToken(database, env.ONRAMP_SERVER_TOKEN);
env = { ...env, ONRAMP_SERVER_TOKEN: serverToken.token };
if (env.ONRAMP_ACCEPT_PUBLIC_SERVER_EVENTS) {
  console.warn(
    '[onramp] ONRAMP_ACCEPT_PUBLIC_SERVER_EVENTS=1: server events (signed_up, api_key_created, api_key_revoked, api_call, support_ticket_created) are accepted with the public project token, so any visitor can forge them',
  );
}
if (env.ONRAMP_DEMO) {
  const demo = await storage.seedDemoIfEmpty();
  if (demo) {
    // With a log-only alert rule on the default funnel: its first check records the demo incident as "would have fired".
    await seedDemoAlertRule(storage.alerts);
    console.log(`[onramp] empty database: loaded demo data (${demo.events} events, ${demo.persons} persons over 8 weeks; set ONRAMP_DEMO=0 to skip)`);
  }
}
// A database from before the API traffic rollups gets them built from its raw calls, once.
const rebuiltCalls = await rebuildCallTrafficIfMissing(database);
if (rebuiltCalls > 0) console.log(`[onramp] built the API traffic rollups from ${rebuiltCalls} stored api_call rows`);
const retentionDays = { raw: env.ONRAMP_API_CALL_RAW_DAYS, minutes: env.ONRAMP_API_CALL_MINUTE_DAYS };
console.log(retentionNotice(retentionDays));
const callRetention = startCallRetention(database, retentionDays);
onShutdown('api_call retention', () => callRetention.stop());
// Optional mirror of every committed event to a PostHog project: it runs after the commit and cannot fail ingestion.
const forwarder =
  env.ONRAMP_FORWARD_HOST && env.ONRAMP_FORWARD_TOKEN ? createForwarder({ host: env.ONRAMP_FORWARD_HOST, token: env.ONRAMP_FORWARD_TOKEN }) : undefined;
if (env.ONRAMP_FORWARD_HOST && forwarder) console.log(`[onramp] mirroring committed events to PostHog at ${printableHost(env.ONRAMP_FORWARD_HOST)}`);
const mirrorHook = forwarder ? { onCommitted: forwarder.capture } : {};
// Capture acknowledges once events are in the ingest log; the log is applied to `events` while the server is idle.
const writer = storage.createWriter({
  ...mirrorHook,
  maxQueuedEvents: env.ONRAMP_MAX_QUEUED_EVENTS,
  logged: true,
  maxBacklogEvents: env.ONRAMP_MAX_INGEST_BACKLOG,
});
// SQLite only: WAL checkpoints off the event loop. PostgreSQL checkpoints itself.
const checkpointer = sqliteDb ? startCheckpointer(sqliteDb.$client) : undefined;
// The process's one capture core, and so its one body budget: capture over HTTP and in-process telemetry share it.
const captureTokens = {
  projectToken: env.ONRAMP_PROJECT_TOKEN,
  serverToken: serverToken.token,
  acceptPublicServerEvents: env.ONRAMP_ACCEPT_PUBLIC_SERVER_EVENTS,
};
const capture = createCaptureCore({ writer, ...captureTokens });
// Server-side funnel events go straight into the capture core, or with posthog-node to ONRAMP_POSTHOG_HOST when set.
const telemetry = env.ONRAMP_POSTHOG_HOST
  ? createTelemetry({ token: serverToken.token, host: env.ONRAMP_POSTHOG_HOST, compress: true })
  : inProcessTelemetry((payload) => capture.ingest(payload), serverToken.token);
onShutdown('telemetry flush', () => telemetry.shutdown(2000));
const app = createApp({ storage, env, writer, telemetry, capture });
// Alert rules are checked in-process; several instances coordinate through the database (see api/alerts/rule-store.ts claim).
const alerts = createAlertRunner(storage.alerts, {
  baseUrl: publicBaseUrl(env),
  settle: () => writer.settle(),
  delivery: { allowPrivateTargets: env.ONRAMP_ALERTS_ALLOW_PRIVATE_WEBHOOKS },
});
alerts.start();
onShutdown('alert scheduler', () => alerts.stop());

const distDir = fileURLToPath(new URL('../dist', import.meta.url));
if (existsSync(distDir)) {
  app.use('/*', serveStatic({ root: distDir }));
} else {
  console.warn('[onramp] dist/ not found: run `npm run build` to serve the portal');
}

// The capture surface is served on node:http by api/ingest/capture-http.ts (ADR 0002); everything else goes to Hono.
// Slow or idle clients must not hold connections: headers and whole requests have deadlines, checked every second
// (Node checks every 30 s by default, which would let a slowloris client overstay by that much).
const requestTimeout = env.ONRAMP_REQUEST_TIMEOUT_MS;
const serverOptions = {
  headersTimeout: Math.min(env.ONRAMP_HEADERS_TIMEOUT_MS, requestTimeout),
  requestTimeout,
  keepAliveTimeout: env.ONRAMP_KEEP_ALIVE_TIMEOUT_MS,
  connectionsCheckingInterval: 1_000,
  // A missing Host is answered by rejectMalformedRequests with the JSON error, not by Node's bare-text 400.
  requireHostHeader: false,
};
// Malformed request lines and Host headers are refused first, before capture or Hono read them (appListener).
const createGuardedServer = ((options: ServerOptions, honoListener: RequestListener) =>
  createHttpServer(options, appListener(app, honoListener))) as typeof createHttpServer;
const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST, serverOptions, createServer: createGuardedServer }, (info) => {
  const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  if (serverToken.source === 'generated')
    console.log(`Server token (generated and kept in the database; give it to posthog-node as its api key): ${serverToken.token}`);
  else
    console.log(
      `Server token: ${serverToken.source === 'env' ? 'from ONRAMP_SERVER_TOKEN' : 'kept in the database since the first start (settings table; set ONRAMP_SERVER_TOKEN to choose one)'}`,
    );
  // The URL and the admin token last, so they stay on screen.
  console.log(`Onramp listening on http://${host}:${info.port}`);
  if (env.adminTokenGenerated) console.log(`Admin token (generated for this run; set ONRAMP_ADMIN_TOKEN to keep one): ${env.ONRAMP_ADMIN_TOKEN}`);
  else console.log('Admin token: from ONRAMP_ADMIN_TOKEN');
  // The per-developer state is loaded once listening, so the first report does not wait for it (quietly: the URL
  // and admin token stay the last lines on screen). Not before: each load holds the event loop while its cursor is
  // open, and at 100M events they take more than a minute, which kept the server from saying it was listening.
  storage.reports.warm().catch((err: unknown) => {
    console.warn(`[onramp] loading the per-developer state failed (${(err as Error)?.message ?? String(err)}); the first report loads it`);
  });
});

// Set on the instance as well: not every Node 20 release reads keepAliveTimeout from the options.
(server as Server).keepAliveTimeout = env.ONRAMP_KEEP_ALIVE_TIMEOUT_MS;
(server as Server).maxConnections = env.ONRAMP_MAX_CONNECTIONS;
answerClientErrors(server as Server);
refuseConnect(server as Server);
const inFlight = trackInFlight(server as Server);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`[onramp] ${signal}: draining`);
  const deadline = setTimeout(() => {
    console.error('[onramp] shutdown deadline passed; exiting');
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  const code = await gracefulShutdown(
    {
      server: server as Server,
      closeWriter: (applyMs) => writer.close(applyMs),
      ...(checkpointer ? { stopCheckpoints: () => checkpointer.stop() } : {}),
      closeDb: () => storage.close(),
      ...(forwarder ? { stopForwarding: (timeoutMs: number) => forwarder.shutdown(timeoutMs) } : {}),
    },
    inFlight,
  );
  process.exit(code);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
