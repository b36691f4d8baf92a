import { describe, expect, it } from 'vitest';
import { createTelemetry, inProcessFetch } from '../../api/telemetry.ts';
import { listEvents, PROJECT_TOKEN, SERVER_TOKEN, storedRows, testApp } from '../support/app.ts';
import { createKey, flushedEvents, sandbox, signUp } from './helpers.ts';

describe('server-side funnel events (backend telemetry → capture core → GET /api/v1/events)', () => {
  it('emits signed_up, api_key_created, api_call, api_key_revoked and support_ticket_created under the account id', async () => {
    const { app } = testApp();
    const { client, account } = await signUp(app);
    const { secret, key } = await createKey(client, 'ci');
    await sandbox(app, '/sandbox/v1/messages', secret, { body: { to: '+15551234567', body: 'hi' } });
    await client.del(`/api/v1/portal/keys/${key.id}`);
    await client.del(`/api/v1/portal/keys/${key.id}`); // revoking twice emits once
    const ticket = await client.post('/api/v1/portal/support', { topic: 'first_call', path: '/docs/first-call/', message: 'My first call returns 401' });
    expect(ticket.status).toBe(201);

    const stored = await flushedEvents(app, `distinct_id=${account.id}`);
    expect(stored.map((e) => e.event).sort()).toEqual(['api_call', 'api_key_created', 'api_key_revoked', 'signed_up', 'support_ticket_created']);
    const byName = (name: string) => stored.find((e) => e.event === name)!;
    const events = ['signed_up', 'api_key_created', 'api_call', 'api_key_revoked', 'support_ticket_created'].map(byName);
    expect(new Set(events.map((e) => e.distinctId))).toEqual(new Set([account.id]));
    expect(new Set(events.map((e) => e.personId)).size).toBe(1);
    const [, created, call, revoked, support] = events;
    expect(created!.properties).toMatchObject({ key_prefix: key.prefix, name: 'ci', $lib: 'onramp' });
    expect(call!.properties).toMatchObject({ status: 201, method: 'POST', endpoint: '/sandbox/v1/messages', key_prefix: key.prefix });
    expect(revoked!.properties).toMatchObject({ key_prefix: key.prefix });
    expect(support!.properties).toMatchObject({ topic: 'first_call', path: '/docs/first-call/' });
    // The message text of a ticket is not analytics data.
    expect(JSON.stringify(support!.properties)).not.toContain('401');
  });

  it('joins earlier anonymous browsing when the browser identifies with the account id', async () => {
    const { app } = testApp();
    const anon = '019a0000-anon-7000-8000-000000000001';
    const capture = (body: unknown) => app.request('/i/v0/e/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await capture({ api_key: PROJECT_TOKEN, event: '$pageview', distinct_id: anon, properties: { $current_url: 'http://localhost/quickstarts/curl/' } });
    const { account } = await signUp(app);
    await capture({ api_key: PROJECT_TOKEN, event: '$identify', distinct_id: account.id, properties: { $anon_distinct_id: anon } });
    const events = await flushedEvents(app, `distinct_id=${account.id}`);
    expect(events.map((e) => e.event).sort()).toEqual(['$identify', '$pageview', 'signed_up']);
    expect(new Set(events.map((e) => e.personId)).size).toBe(1);
  });

  it('works with the client server.ts builds: explicit posthog-node instance with a custom fetch into the app', async () => {
    let deliveries = 0;
    let target: ReturnType<typeof testApp>['app'] | undefined;
    const handler = inProcessFetch((request) => {
      deliveries += 1;
      expect(new URL(request.url).pathname).toMatch(/^\/(batch|i\/v0\/e)\/?$/);
      return target!.request(request);
    });
    const telemetry = createTelemetry({ token: SERVER_TOKEN, host: 'http://127.0.0.1:9', fetch: handler, flushAt: 50, flushIntervalMs: 60_000 });
    target = testApp({ telemetry }).app;
    const { account } = await signUp(target);
    expect(await listEvents(target)).toEqual([]);
    // shutdown() is what server.ts awaits on SIGTERM: nothing queued may be lost.
    await telemetry.shutdown();
    expect(deliveries).toBeGreaterThan(0);
    const events = await listEvents(target, `distinct_id=${account.id}`);
    expect(events.map((e) => e.event)).toEqual(['signed_up']);
  });

  it('a capture host that refuses events never breaks the portal', async () => {
    const telemetry = createTelemetry({ token: SERVER_TOKEN, host: 'http://127.0.0.1:9', fetch: async () => new Response('nope', { status: 500 }) });
    const { app } = testApp({ telemetry });
    const { client } = await signUp(app);
    const { secret } = await createKey(client);
    expect((await sandbox(app, '/sandbox/v1/messages', secret)).status).toBe(200);
    await telemetry.shutdown(500);
  });
});

describe('support tickets', () => {
  describe.each([
    ['unknown topic', { topic: 'billing', message: 'hi' }, /^topic: must be one of first_call/],
    ['missing message', { topic: 'other' }, /^message: is required/],
    ['blank message', { topic: 'other', message: '   ' }, /^message: must not be empty/],
    ['path not a path', { topic: 'other', message: 'hi', path: 'https://evil.example/' }, /^path: must be a site path/],
    ['long message', { topic: 'other', message: 'x'.repeat(5001) }, /^message: must be at most 5000 characters/],
  ])('%s', (_label, input, expected) => {
    it('is a 400 naming the field and emits nothing', async () => {
      const { app } = testApp();
      const { client, account } = await signUp(app);
      const res = await client.post('/api/v1/portal/support', input);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(expected);
      const events = await flushedEvents(app, `distinct_id=${account.id}&event=support_ticket_created`);
      expect(events).toEqual([]);
    });
  });

  it('stores the ticket and defaults the path to /support/', async () => {
    const { app, db } = testApp();
    const { client, account } = await signUp(app);
    const res = await client.post('/api/v1/portal/support', { topic: 'api_keys', message: 'Where is my key?' });
    expect(res.status).toBe(201);
    const { ticket } = (await res.json()) as { ticket: { id: string; path: string } };
    expect(ticket.path).toBe('/support/');
    const rows = await storedRows(db, 'SELECT account_id, topic, message FROM support_tickets WHERE id = ?', ticket.id);
    expect(rows).toEqual([{ account_id: account.id, topic: 'api_keys', message: 'Where is my key?' }]);
  });
});
