import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { uuidv7 } from 'uuidv7';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createForwarder, type Forwarder } from '../../api/ingest/forward.ts';
import { validateCapture } from '../../api/ingest/validate.ts';
import { createEventWriter } from '../../api/ingest/writer.ts';
import { sqliteDatabase } from '../../api/storage/sql/sqlite.ts';
import { listEvents, PROJECT_TOKEN, testApp, testDb } from '../support/app.ts';
import { freePort, type RunningServer, startServer } from '../support/server.ts';

const MIRROR_TOKEN = 'phc_mirror_project_token';

interface ReceivedEvent {
  uuid: string;
  event: string;
  distinct_id: string;
  timestamp: string;
  properties: Record<string, unknown>;
}

/**
 * A local stand-in for PostHog's `/batch/` endpoint: records what posthog-node posts (gzip or not) and can be
 * switched to answer 500 or to never answer.
 */
async function startFakePostHog(port = 0) {
  const received: Array<{ apiKey: string; gzip: boolean; batch: ReceivedEvent[] }> = [];
  const hanging = new Set<ServerResponse>();
  let mode: 'ok' | 'fail' | 'hang' = 'ok';
  let attempts = 0;
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || req.url !== '/batch/') {
      res.writeHead(404).end();
      return;
    }
    attempts++;
    if (mode === 'hang') {
      hanging.add(res);
      return;
    }
    if (mode === 'fail') {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"ingestion down"}');
      return;
    }
    const gzip = req.headers['content-encoding'] === 'gzip';
    const raw = Buffer.concat(chunks);
    const body = JSON.parse((gzip ? gunzipSync(raw) : raw).toString('utf8')) as { api_key: string; batch: ReceivedEvent[] };
    received.push({ apiKey: body.api_key, gzip, batch: body.batch });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":1}');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    received,
    events: () => received.flatMap((r) => r.batch),
    get attempts() {
      return attempts;
    },
    setMode(next: typeof mode) {
      mode = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type FakePostHog = Awaited<ReturnType<typeof startFakePostHog>>;

async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Events shaped the way posthog-js sends them, with person updates on some. */
function browserEvents(count: number, tag: string) {
  const base = Date.parse('2025-06-01T10:00:00.000Z');
  return Array.from({ length: count }, (_, i) => ({
    uuid: uuidv7(),
    event: i % 3 === 0 ? '$pageview' : 'code_copied',
    distinct_id: `${tag}-${i % 4}`,
    timestamp: new Date(base + i * 1000).toISOString(),
    properties: { $lib: 'web', $lib_version: '1.0.0', $current_url: `http://localhost/docs/${tag}/${i}`, language: 'curl', n: i },
    ...(i % 5 === 0 ? { $set: { plan: `plan-${i}` }, $set_once: { first_seen_doc: `/docs/${tag}` } } : {}),
  }));
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function forwarderFor(fake: { url: string }, options: Partial<Parameters<typeof createForwarder>[0]> = {}) {
  const log: string[] = [];
  const forwarder: Forwarder = createForwarder({
    host: fake.url,
    token: MIRROR_TOKEN,
    flushIntervalMs: 0,
    fetchRetryDelayMs: 10,
    requestTimeoutMs: 1000,
    log: (line) => log.push(line),
    ...options,
  });
  cleanups.push(() => forwarder.shutdown(500));
  return { forwarder, log };
}

describe('PostHog mirror (posthog-node against a local fake PostHog)', () => {
  it('sends each event gzipped with its own uuid, name, distinct id, timestamp and properties, under the mirror token', async () => {
    const fake = await startFakePostHog();
    cleanups.push(fake.close);
    const { forwarder } = forwarderFor(fake);
    const events = validateCapture({ api_key: PROJECT_TOKEN, batch: browserEvents(12, 'unit') }, { projectToken: PROJECT_TOKEN });
    forwarder.capture(events);
    await forwarder.flush();

    expect(fake.received.length).toBeGreaterThan(0);
    expect(fake.received.every((r) => r.gzip && r.apiKey === MIRROR_TOKEN)).toBe(true);
    const got = new Map(fake.events().map((e) => [e.uuid, e]));
    expect(got.size).toBe(events.length);
    for (const sent of events) {
      const mirrored = got.get(sent.uuid)!;
      expect(mirrored).toMatchObject({ event: sent.event, distinct_id: sent.distinctId, timestamp: new Date(sent.timestamp).toISOString() });
      // Exactly the stored properties ($set/$set_once and posthog-js's own $lib kept), plus the geoip opt-out.
      expect(mirrored.properties).toEqual({ ...sent.properties, $geoip_disable: true });
    }
    expect(got.get(events[0]!.uuid)!.properties).toMatchObject({ $lib: 'web', $set: { plan: 'plan-0' }, $set_once: { first_seen_doc: '/docs/unit' } });
    expect(forwarder.stats()).toEqual({ forwarded: 12, failed: 0, dropped: 0, queued: 0 });
  });

  it('retries a failing PostHog, then counts the events as failed and warns once per interval, never throwing', async () => {
    const fake = await startFakePostHog();
    cleanups.push(fake.close);
    fake.setMode('fail');
    const { forwarder, log } = forwarderFor(fake, { fetchRetryCount: 2 });
    const events = validateCapture({ api_key: PROJECT_TOKEN, batch: browserEvents(5, 'fail') }, { projectToken: PROJECT_TOKEN });
    expect(() => forwarder.capture(events)).not.toThrow();
    await forwarder.flush();
    expect(fake.attempts).toBe(3);
    expect(forwarder.stats()).toEqual({ forwarded: 0, failed: 5, dropped: 0, queued: 0 });

    forwarder.capture(events);
    await forwarder.flush();
    expect(forwarder.stats().failed).toBe(10);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^\[onramp\] mirror: PostHog at http:\/\/127\.0\.0\.1:\d+ failed \(HTTP 500\); so far 0 forwarded, 5 given up/);
    expect(log.join('\n')).not.toContain(MIRROR_TOKEN);
  });

  it('holds at most maxQueueSize events while PostHog is down, counts the dropped, and delivers the rest once it is back', async () => {
    const port = await freePort();
    const { forwarder, log } = forwarderFor({ url: `http://127.0.0.1:${port}` }, { maxQueueSize: 20, flushAt: 10, fetchRetryCount: 0 });
    const events = validateCapture({ api_key: PROJECT_TOKEN, batch: browserEvents(100, 'down') }, { projectToken: PROJECT_TOKEN });
    // posthog-node would print a full error for every failed background flush; ours are summarised in `log` instead.
    const consoleErrors = vi.spyOn(console, 'error');
    cleanups.push(async () => consoleErrors.mockRestore());
    forwarder.capture(events);
    await new Promise((r) => setTimeout(r, 200));
    expect(consoleErrors).not.toHaveBeenCalled();
    await forwarder.flush();
    expect(forwarder.stats()).toEqual({ forwarded: 0, failed: 0, dropped: 80, queued: 20 });
    // Warned at the first drop, and not again within the minute.
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/is not keeping up; so far 0 forwarded, 0 given up after retries, 1 dropped at the full queue \(limit 20\), 20 waiting/);

    const fake = await startFakePostHog(port);
    cleanups.push(fake.close);
    await forwarder.flush();
    // The full queue turns new events away, so the first 20 are the ones kept, in order.
    expect(fake.events().map((e) => e.uuid)).toEqual(events.slice(0, 20).map((e) => e.uuid));
    expect(forwarder.stats()).toEqual({ forwarded: 20, failed: 0, dropped: 80, queued: 0 });
  });
});

describe('event writer onCommitted hook', () => {
  it('reports each committed request once, and a throwing listener neither fails nor undoes the request', async () => {
    const seen: string[][] = [];
    let calls = 0;
    const db = testDb();
    const writer = createEventWriter(sqliteDatabase(db.$client), {
      onCommitted: (events) => {
        calls++;
        seen.push(events.map((e) => e.uuid));
        throw new Error('listener exploded');
      },
    });
    const { app } = testApp({ db, writer });
    const bodies = [browserEvents(3, 'a'), browserEvents(2, 'b')].map((batch) => ({ api_key: PROJECT_TOKEN, batch }));
    const responses = await Promise.all(
      bodies.map((body) => app.request('/batch/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(calls).toBe(2);
    expect(seen.flat().sort()).toEqual(bodies.flatMap((b) => b.batch.map((e) => e.uuid)).sort());
    expect((await listEvents(app)).length).toBe(5);

    // A refused request (bad token) is never reported.
    const refused = await app.request('/batch/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: 'phc_wrong', batch: browserEvents(1, 'c') }),
    });
    expect(refused.status).toBe(401);
    expect(calls).toBe(2);
  });
});

async function capture(server: RunningServer, batch: unknown[]) {
  const started = performance.now();
  const res = await fetch(`${server.url}/batch/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api_key: server.projectToken, batch }),
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

async function storedEvents(server: RunningServer) {
  const res = await fetch(`${server.url}/api/v1/events?limit=1000`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { events: Array<{ uuid: string; event: string; distinctId: string; timestamp: string; properties: Record<string, unknown> }> })
    .events;
}

async function mirroredServer(fake: FakePostHog) {
  const server = await startServer({ env: { ONRAMP_FORWARD_HOST: fake.url, ONRAMP_FORWARD_TOKEN: MIRROR_TOKEN } });
  cleanups.push(() => server.stop());
  return server;
}

describe('the real server with ONRAMP_FORWARD_HOST / ONRAMP_FORWARD_TOKEN', () => {
  it('mirrors what capture stored, same uuid, name, distinct id, timestamp and properties', { timeout: 60_000 }, async () => {
    const fake = await startFakePostHog();
    cleanups.push(fake.close);
    const server = await mirroredServer(fake);
    expect(server.output()).toContain(`[onramp] mirroring committed events to PostHog at ${fake.url}`);

    const batch = browserEvents(30, 'e2e');
    expect((await capture(server, batch)).status).toBe(200);
    const single = { event: 'signed_up', distinct_id: 'e2e-user', properties: { token: server.serverToken, plan: 'free' }, $set: { email: 'e2e@example.com' } };
    const res = await fetch(`${server.url}/i/v0/e/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(single) });
    expect(res.status).toBe(200);
    // An SDK retry of events already stored: acknowledged again, mirrored again under the same uuids (PostHog dedups).
    expect((await capture(server, batch.slice(0, 3))).status).toBe(200);

    const stored = await waitFor('all events stored', async () => {
      const events = await storedEvents(server);
      return events.length === 31 ? events : undefined;
    });
    await waitFor('all events mirrored', () => new Set(fake.events().map((e) => e.uuid)).size === 31);
    expect(fake.received.every((r) => r.apiKey === MIRROR_TOKEN && r.gzip)).toBe(true);
    const mirrored = new Map(fake.events().map((e) => [e.uuid, e]));
    for (const event of stored) {
      const copy = mirrored.get(event.uuid);
      expect(copy, event.uuid).toBeDefined();
      expect({ event: copy!.event, distinctId: copy!.distinct_id, timestamp: new Date(copy!.timestamp).toISOString() }).toEqual({
        event: event.event,
        distinctId: event.distinctId,
        timestamp: event.timestamp,
      });
      expect(copy!.properties).toEqual({ ...event.properties, $geoip_disable: true });
    }
    expect([...mirrored.values()].find((e) => e.event === 'signed_up')!.properties).toMatchObject({ $set: { email: 'e2e@example.com' } });
    expect(server.output()).not.toContain(MIRROR_TOKEN);
    expect(await server.stop()).toBe(0);
  });

  it('a PostHog answering 500, then hanging, never slows or fails capture; every event is stored locally', { timeout: 60_000 }, async () => {
    const fake = await startFakePostHog();
    cleanups.push(fake.close);
    fake.setMode('fail');
    const server = await mirroredServer(fake);
    const sent: string[] = [];
    const latencies: number[] = [];
    async function sendRound(tag: string) {
      for (let i = 0; i < 15; i++) {
        const batch = browserEvents(20, `${tag}-${i}`);
        const { status, ms } = await capture(server, batch);
        expect(status).toBe(200);
        latencies.push(ms);
        sent.push(...batch.map((e) => e.uuid));
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await sendRound('fail');
    await waitFor('posthog-node to reach the failing fake', () => fake.attempts > 0);
    // posthog-node retries the 500 three seconds later; from then on that request hangs while capture goes on.
    fake.setMode('hang');
    const attemptsBefore = fake.attempts;
    await waitFor('a mirror request hanging on the fake', () => fake.attempts > attemptsBefore);
    await sendRound('hang');

    const stored = await waitFor('every event stored locally', async () => {
      const uuids = new Set((await storedEvents(server)).map((e) => e.uuid));
      return sent.every((u) => uuids.has(u)) ? uuids : undefined;
    });
    expect(stored.size).toBe(sent.length);
    latencies.sort((a, b) => a - b);
    const worst = latencies.at(-1)!;
    console.log(
      `[forward] PostHog down: ${latencies.length} capture requests, p50 ${latencies[latencies.length >> 1]!.toFixed(1)} ms, max ${worst.toFixed(1)} ms`,
    );
    expect(worst).toBeLessThan(1000);
  });

  it('SIGTERM with events queued for a hanging PostHog still exits 0 within 10 s, events kept locally', { timeout: 60_000 }, async () => {
    const fake = await startFakePostHog();
    cleanups.push(fake.close);
    fake.setMode('hang');
    const server = await mirroredServer(fake);
    const batch = browserEvents(40, 'term');
    expect((await capture(server, batch)).status).toBe(200);
    await waitFor('a mirror request in flight', () => fake.attempts > 0);
    expect((await capture(server, browserEvents(10, 'term-late'))).status).toBe(200);

    const signalledAt = Date.now();
    const code = await server.stop();
    const took = Date.now() - signalledAt;
    console.log(`[forward] SIGTERM with a hanging PostHog: exit ${code} after ${took} ms`);
    expect(code).toBe(0);
    expect(took).toBeLessThan(10_000);
    expect(server.output()).toContain('shutdown complete');
    expect(server.output()).toMatch(/mirror: 50 event\(s\) not forwarded to http:\/\/127\.0\.0\.1:\d+ before shutdown|PostHog mirror flush cut off/);

    const restarted = await startServer({ databasePath: server.databasePath });
    cleanups.push(() => restarted.stop());
    const uuids = new Set((await storedEvents(restarted)).map((e) => e.uuid));
    expect(uuids.size).toBe(50);
  });

  it('SIGTERM delivers events still waiting in the mirror queue to a healthy PostHog before exiting', { timeout: 60_000 }, async () => {
    const fake = await startFakePostHog();
    cleanups.push(fake.close);
    const server = await mirroredServer(fake);
    // Fewer than flushAt events, sent right before SIGTERM: only the shutdown flush can deliver them.
    const batch = browserEvents(7, 'flush');
    expect((await capture(server, batch)).status).toBe(200);
    expect(await server.stop()).toBe(0);
    expect(new Set(fake.events().map((e) => e.uuid))).toEqual(new Set(batch.map((e) => e.uuid)));
  });
});
