import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterEach, expect } from 'vitest';
import { alertRoutes } from '../../api/alerts/routes.ts';
import type { AlertStorage } from '../../api/alerts/storage.ts';
import type { WebhookTargetPolicy } from '../../api/alerts/webhook-target.ts';
import { ApiError } from '../../api/errors.ts';
import type { NormalizedEvent } from '../../api/ingest/validate.ts';

export interface Receiver {
  url: string;
  bodies: Array<{ text: string; blocks: unknown[] }>;
  /** Statuses to answer with, in order; 200 once exhausted. */
  respond: number[];
  hits: number;
  /** The Host header of each request. */
  hosts: string[];
  /** Awaited before each answer, while the sender waits on its webhook call. */
  beforeAnswer?: () => Promise<unknown>;
  close: () => Promise<void>;
}

/** A local webhook endpoint that records every JSON body it receives. */
export async function startReceiver(): Promise<Receiver> {
  const receiver: Omit<Receiver, 'url' | 'close'> = { bodies: [], respond: [], hits: 0, hosts: [] };
  const server: Server = createServer((req: IncomingMessage, res) => {
    let data = '';
    receiver.hosts.push(req.headers.host ?? '');
    req.on('data', (d) => (data += d));
    req.on('end', async () => {
      await receiver.beforeAnswer?.();
      receiver.hits += 1;
      const status = receiver.respond.shift() ?? 200;
      if (status < 300) receiver.bodies.push(JSON.parse(data) as Receiver['bodies'][number]);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hook`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

let seq = 0;
function event(name: string, distinctId: string, timestamp: number, properties: Record<string, unknown> = {}): NormalizedEvent {
  seq += 1;
  return {
    uuid: `0190b000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    event: name,
    distinctId,
    timestamp,
    receivedAt: timestamp,
    properties,
    propertiesJson: JSON.stringify(properties),
    set: undefined,
    setOnce: undefined,
  };
}

/**
 * Events of `count` developers who signed up and created a key at `at`; the first `succeeded` of them then make a
 * successful call, the others hit `invalid_api_key`.
 */
export function developerEvents(prefix: string, count: number, succeeded: number, at: number): NormalizedEvent[] {
  const events: NormalizedEvent[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${i}`;
    events.push(event('signed_up', id, at), event('api_key_created', id, at + 60_000));
    events.push(
      i < succeeded
        ? event('api_call', id, at + 120_000, {
            status: 201,
            method: 'POST',
            endpoint: '/sandbox/v1/messages',
            duration_ms: 40,
            key_prefix: 'onr_test_AAAAAAAA',
          })
        : event('api_call', id, at + 120_000, {
            status: 401,
            method: 'POST',
            endpoint: '/sandbox/v1/messages',
            duration_ms: 3,
            error_code: 'invalid_api_key',
            key_prefix: 'onr_test_AAAAAAAA',
          }),
    );
  }
  return events;
}

/** Events giving developers `prefix-from` … `prefix-(to − 1)` a successful call at `at`. */
export function successEvents(prefix: string, from: number, to: number, at: number): NormalizedEvent[] {
  const events: NormalizedEvent[] = [];
  for (let i = from; i < to; i++)
    events.push(
      event('api_call', `${prefix}-${i}`, at, {
        status: 200,
        method: 'GET',
        endpoint: '/sandbox/v1/messages',
        duration_ms: 20,
        key_prefix: 'onr_test_AAAAAAAA',
      }),
    );
  return events;
}

/**
 * The delivery policy of the tests' own receivers, which listen on loopback: what ONRAMP_ALERTS_ALLOW_PRIVATE_WEBHOOKS=1
 * gives a server.
 */
export const LOCAL_RECEIVERS: WebhookTargetPolicy = { allowPrivateTargets: true };

/**
 * The alert routes over `alerts`, with a controllable clock and fast retries, called as `api(method, path, body)`.
 * `policy` is the webhook target policy (default: loopback receivers allowed).
 */
export function alertsApi(alerts: AlertStorage, clock: { now: number }, policy: WebhookTargetPolicy = LOCAL_RECEIVERS) {
  const app = new Hono({ strict: false });
  app.onError((err, c) => (err instanceof ApiError ? c.json(err.toBody(), err.status) : c.json({ error: { code: 'internal', message: String(err) } }, 500)));
  app.route(
    '/alerts',
    alertRoutes({
      alerts,
      runner: { baseUrl: 'https://onramp.example', now: () => clock.now, delivery: { baseDelayMs: 5, maxAttempts: 3, ...policy }, log: () => {} },
    }),
  );
  return async (method: string, path: string, body?: unknown) => {
    const res = await app.request(`/alerts${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (res.status === 204 ? null : await res.json()) as Record<string, any> };
  };
}

/** A rule watching conversion to the first successful call (step 2) with a threshold of 50 %. */
export const conversionRule = (url: string) => ({
  name: 'First call conversion',
  steps: ['signed_up', 'api_key_created', 'first_successful_call'],
  window: '14d',
  range: '7d',
  interval: 'hourly',
  trigger: { kind: 'conversion_below', threshold: 0.5, step: 2 },
  webhookUrl: url,
});

type AlertsApi = ReturnType<typeof alertsApi>;
const HOUR_MS = 3_600_000;

/**
 * Shared by the SQLite and PostgreSQL suites, on a rule over developers whose conversion is below the threshold:
 * a 500 is retried with backoff and recorded as failed after the last attempt; the next check retries, delivers on
 * the second attempt, alerts once, and the log lists both deliveries, newest first.
 */
export async function expectRetriedDelivery(api: AlertsApi, clock: { now: number }, r: Receiver): Promise<void> {
  const id = (await api('POST', '/', conversionRule(r.url))).body.id as string;
  r.respond = [500, 500, 500];
  const failed = await api('POST', `/${id}/check`);
  expect(failed.body.alerted).toEqual([]);
  expect(failed.body.deliveries[0]).toMatchObject({ status: 'failed', attempts: 3, responseStatus: 500, error: 'HTTP 500' });
  expect(r.hits).toBe(3);

  r.respond = [500];
  clock.now += HOUR_MS;
  const retried = await api('POST', `/${id}/check`);
  expect(retried.body.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 2, responseStatus: 200 });
  expect(retried.body.alerted).toHaveLength(1);
  expect(r.bodies).toHaveLength(1);
  const log = (await api('GET', `/${id}/deliveries`)).body.deliveries as Array<Record<string, unknown>>;
  expect(log.map((d) => [d.status, d.attempts])).toEqual([
    ['delivered', 2],
    ['failed', 3],
  ]);
}

/** Shared by both suites: "Check now" records `lastRunAt` (in the rule and the list) and leaves the schedule alone. */
export async function expectCheckNowRecordsLastRun(api: AlertsApi, clock: { now: number }, r: Receiver): Promise<void> {
  const start = clock.now;
  const id = (await api('POST', '/', conversionRule(r.url))).body.id as string;
  expect((await api('GET', `/${id}`)).body).toMatchObject({ lastRunAt: null, nextRunAt: new Date(start).toISOString() });
  clock.now += 5 * 60_000;
  expect((await api('POST', `/${id}/check`)).status).toBe(200);
  expect((await api('GET', `/${id}`)).body).toMatchObject({ lastRunAt: new Date(start + 5 * 60_000).toISOString(), nextRunAt: new Date(start).toISOString() });
  expect((await api('GET', '/')).body.rules[0].lastRunAt).toBe(new Date(start + 5 * 60_000).toISOString());
}

/** Webhook receivers for the calling test file: `receiver()` starts one; all are closed after each test. */
export function useReceivers(): () => Promise<Receiver> {
  let open: Receiver[] = [];
  afterEach(async () => {
    await Promise.all(open.map((r) => r.close()));
    open = [];
  });
  return async () => {
    const r = await startReceiver();
    open.push(r);
    return r;
  };
}
