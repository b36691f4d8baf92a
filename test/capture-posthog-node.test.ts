import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PostHog } from 'posthog-node';
import { afterEach, describe, expect, it } from 'vitest';
import { appListener } from '../api/app.ts';
import { listEvents, SERVER_TOKEN, testApp } from './support/app.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function start() {
  const { app, db } = testApp();
  // The process's own listener: capture is served by api/ingest/capture-http.ts, not by Hono.
  server = createServer(appListener(app));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { app, db, host: `http://127.0.0.1:${port}` };
}

describe.each([
  ['gzip off', true],
  ['gzip on', false],
])('real posthog-node client (%s)', (_label, disableCompression) => {
  it('captures, identifies and aliases; events stored once with identities merged', async () => {
    const { app, host } = await start();
    const client = new PostHog(SERVER_TOKEN, { host, flushAt: 1, flushInterval: 0, disableCompression, fetchRetryCount: 0 });
    client.capture({ distinctId: 'anon-1', event: '$pageview', properties: { $current_url: 'http://x/docs/intro' } });
    client.capture({ distinctId: 'anon-1', event: 'code_copied', properties: { path: '/docs/intro', language: 'curl' } });
    client.identify({ distinctId: 'user-1', properties: { $set: { email: 'a@example.com' }, $anon_distinct_id: 'anon-1' } });
    client.capture({ distinctId: 'user-1', event: 'signed_up' });
    client.alias({ distinctId: 'user-1', alias: 'account-42' });
    client.capture({ distinctId: 'account-42', event: 'api_key_created' });
    await client.shutdown();

    const stored = await listEvents(app);
    expect(stored.map((e) => e.event).sort()).toEqual(['$create_alias', '$identify', '$pageview', 'api_key_created', 'code_copied', 'signed_up']);
    expect(new Set(stored.map((e) => e.uuid)).size).toBe(stored.length);
    expect(new Set(stored.map((e) => e.personId)).size).toBe(1);
    const byAnon = await listEvents(app, 'distinct_id=anon-1');
    expect(byAnon).toHaveLength(6);
  });
});
