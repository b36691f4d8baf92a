import { uuidv7 } from 'uuidv7';
import { afterEach, describe, expect, it } from 'vitest';
import { usePostgres } from '../support/postgres.ts';
import { type RunningServer, startServer } from '../support/server.ts';

/**
 * Two real Onramp processes (`api/server.ts`, as deployed) on one PostgreSQL database, each with its own pool and
 * ingest writer: everything they must agree on lives in the database.
 */
const { server: postgres } = usePostgres();
const running: RunningServer[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.stop();
});

async function twoInstances(): Promise<[RunningServer, RunningServer]> {
  const databaseUrl = await postgres().createDatabase();
  // One after the other: the second must find the schema migrated (and wait on the migration lock if not).
  const a = await startServer({ databaseUrl });
  const b = await startServer({ databaseUrl });
  running.push(a, b);
  return [a, b];
}

const capture = (server: RunningServer, body: Record<string, unknown>) =>
  fetch(`${server.url}/i/v0/e/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api_key: server.projectToken, ...body }),
  });

async function events(server: RunningServer, query: string) {
  const res = await fetch(`${server.url}/api/v1/events?limit=1000&${query}`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { events: Array<{ uuid: string; event: string; distinctId: string; personId: string }> }).events;
}

/** A browser-like portal session on one instance (same-origin header, cookie kept). */
function portal(server: RunningServer) {
  let cookie = '';
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { origin: server.url, 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const set = res.headers.get('set-cookie');
    if (set?.startsWith('onramp_session=')) cookie = set.split(';')[0]!;
    return res;
  };
}

describe('two Onramp processes on one PostgreSQL', () => {
  it('store an event sent to both once, merge across instances, and share rate limits and sessions', { timeout: 120_000 }, async () => {
    const [a, b] = await twoInstances();

    // The same uuid (a client retry that reached the other instance) is stored once.
    const uuid = uuidv7();
    for (const server of [a, b, a]) expect((await capture(server, { uuid, event: 'docs_viewed', distinct_id: 'anon-1' })).status).toBe(200);
    expect((await events(b, 'event=docs_viewed')).map((e) => e.uuid)).toEqual([uuid]);
    expect((await events(a, 'event=docs_viewed')).map((e) => e.uuid)).toEqual([uuid]);

    // Anonymous events on A, the $identify on B: one person, seen the same way from both.
    expect((await capture(a, { event: '$pageview', distinct_id: 'anon-1' })).status).toBe(200);
    expect((await capture(b, { event: '$identify', distinct_id: 'acct-1', properties: { $anon_distinct_id: 'anon-1' } })).status).toBe(200);
    // A server-defined milestone, sent as the backend sends it: with the server token.
    expect((await capture(b, { event: 'signed_up', distinct_id: 'acct-1', api_key: b.serverToken })).status).toBe(200);
    for (const server of [a, b]) {
      const merged = await events(server, 'distinct_id=anon-1');
      expect(merged.map((e) => e.event).sort()).toEqual(['$identify', '$pageview', 'docs_viewed', 'signed_up']);
      expect(new Set(merged.map((e) => e.personId)).size).toBe(1);
    }

    // A portal session made on A is valid on B; the sandbox key's 60-per-minute limit counts calls on both.
    const onA = portal(a);
    expect((await onA('POST', '/api/v1/portal/signup', { email: 'two@example.com', password: 'correct horse battery' })).status).toBe(201);
    const created = (await (await onA('POST', '/api/v1/portal/keys', { name: 'shared' })).json()) as { secret: string };
    const call = (server: RunningServer) =>
      fetch(`${server.url}/sandbox/v1/messages?limit=1`, { headers: { authorization: `Bearer ${created.secret}` } }).then((r) => r.status);
    const statuses = await Promise.all(Array.from({ length: 80 }, (_, i) => call(i % 2 === 0 ? a : b)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(60);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);

    // Each instance reports its sandbox calls as `api_call` events through its own posthog-node client, in the
    // background: wait until all 80 are in, so both instances report on the same events.
    await expect.poll(async () => (await events(b, 'event=api_call')).length, { timeout: 30_000, interval: 250 }).toBe(80);

    // Reports answer the same on both instances (a fixed range: the default ends at each request's "now").
    const range = `from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;
    const funnel = async (server: RunningServer) =>
      (await fetch(`${server.url}/api/v1/reports/funnel?${range}`, { headers: { authorization: `Bearer ${server.adminToken}` } })).json();
    expect(await funnel(a)).toEqual(await funnel(b));

    // SIGTERM under way: each drains, commits, closes its pool and exits 0 within the 10 s deadline.
    for (const server of [a, b]) {
      const started = Date.now();
      expect(await server.stop()).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(server.output()).toContain('shutdown complete');
    }
  });
});
