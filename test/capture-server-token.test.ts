import { PostHog } from 'posthog-node';
import { afterAll, describe, expect, it } from 'vitest';
import { eventsOfLogRow, logRecords } from '../api/ingest/raw-log.ts';
import { validateCapture } from '../api/ingest/validate.ts';
import { inProcessFetch } from '../api/telemetry.ts';
import { ADMIN_TOKEN, listEvents, PROJECT_TOKEN, SERVER_TOKEN, testApp } from './support/app.ts';
import { captureEvent } from './support/factories.ts';
import { startServer } from './support/server.ts';

const SERVER_EVENTS = ['signed_up', 'api_key_created', 'api_key_revoked', 'api_call', 'support_ticket_created'];
const post = (app: ReturnType<typeof testApp>['app'], body: unknown) =>
  app.request('/batch/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const serverEvent = (event: string) => ({ event, distinct_id: 'acct_1', properties: { key_prefix: 'onr_test_AAAA' } });

describe('server-defined events need the server token', () => {
  it.each(SERVER_EVENTS)('refuses %s with the public token: 403 naming the event, nothing of the request stored', async (event) => {
    const { app } = testApp();
    const res = await post(app, { api_key: PROJECT_TOKEN, batch: [captureEvent(), captureEvent(), serverEvent(event), captureEvent()] });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('server_token_required');
    expect(body.error.message).toContain(`batch[2].event: ${event}`);
    expect(await listEvents(app)).toHaveLength(0);
  });

  it('refuses a server event whose own token is the public one, even when the request carries the server token', async () => {
    const { app } = testApp();
    const res = await post(app, { api_key: SERVER_TOKEN, batch: [{ ...serverEvent('signed_up'), properties: { token: PROJECT_TOKEN } }] });
    expect(res.status).toBe(403);
    expect(await listEvents(app)).toHaveLength(0);
  });

  it('accepts them, and any other event, with the server token', async () => {
    const { app } = testApp();
    const res = await post(app, { api_key: SERVER_TOKEN, batch: [...SERVER_EVENTS.map(serverEvent), { event: '$pageview', distinct_id: 'acct_1' }] });
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await listEvents(app)).map((e) => e.event).sort()).toEqual([...SERVER_EVENTS, '$pageview'].sort());
  });

  it('still refuses a token that is neither', async () => {
    const { app } = testApp();
    const res = await post(app, { api_key: 'onr_server_guess_0000000000000', batch: [serverEvent('signed_up')] });
    expect(res.status).toBe(401);
  });

  it('accepts them with the public token when ONRAMP_ACCEPT_PUBLIC_SERVER_EVENTS=1', async () => {
    const { app } = testApp({
      env: {
        ONRAMP_PROJECT_TOKEN: PROJECT_TOKEN,
        ONRAMP_ADMIN_TOKEN: ADMIN_TOKEN,
        ONRAMP_SERVER_TOKEN: SERVER_TOKEN,
        ONRAMP_ACCEPT_PUBLIC_SERVER_EVENTS: true,
      },
    });
    const res = await post(app, { api_key: PROJECT_TOKEN, batch: [serverEvent('api_call')] });
    expect(res.status).toBe(200);
    expect(await listEvents(app)).toHaveLength(1);
  });

  it('delivers a posthog-node client given the server token', async () => {
    const { app } = testApp();
    const client = new PostHog(SERVER_TOKEN, {
      host: 'http://onramp.test',
      flushAt: 1,
      disableCompression: true,
      fetch: inProcessFetch((r) => app.request(r)),
    });
    client.capture({ distinctId: 'acct_9', event: 'api_key_created', properties: { key_prefix: 'onr_test_BBBB', name: 'ci' } });
    await client.shutdown(5000);
    expect((await listEvents(app)).map((e) => e.event)).toEqual(['api_key_created']);
  });

  it('replays an acknowledged server-token request from the ingest log, whatever the tokens are now', () => {
    const body = { api_key: SERVER_TOKEN, batch: [serverEvent('signed_up')] };
    const events = validateCapture(body, { projectToken: PROJECT_TOKEN, serverToken: SERVER_TOKEN });
    const raw = {
      body: Buffer.from(JSON.stringify(body)),
      meta: { contentType: 'application/json', contentEncoding: undefined, compression: undefined },
      querySentAt: undefined,
      projectToken: PROJECT_TOKEN,
    };
    const [record] = logRecords([{ events, raw }], Date.now());
    const replayed = eventsOfLogRow({ body: record![2], capture: record![3] });
    expect(replayed.map((e) => [e.uuid, e.event])).toEqual(events.map((e) => [e.uuid, e.event]));
  });
});

/** Start-up lines after "listening" may arrive a moment later than it. */
async function outputWith(server: { output: () => string }, text: string): Promise<string> {
  for (let i = 0; i < 100 && !server.output().includes(text); i += 1) await new Promise((r) => setTimeout(r, 50));
  return server.output();
}

describe('the server token of a real server', () => {
  const started: Array<{ stop: () => Promise<unknown> }> = [];
  afterAll(async () => {
    for (const s of started) await s.stop();
  });

  it('is generated and printed at first start, kept across a restart, and its events are accepted', async () => {
    const first = await startServer({ generateServerToken: true });
    started.push(first);
    const token = /Server token \(generated[^:]*: (onr_server_\S+)/.exec(await outputWith(first, 'Server token'))?.[1];
    expect(token).toBeDefined();
    await first.stop();
    const second = await startServer({ generateServerToken: true, databaseUrl: first.databaseUrl });
    started.push(second);
    expect(await outputWith(second, 'Server token')).toContain('Server token: kept in the database');
    expect(second.output()).not.toContain(token);
    const send = (apiKey: string) =>
      fetch(`${second.url}/batch/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ api_key: apiKey, batch: [serverEvent('signed_up')] }),
      });
    expect((await send(second.projectToken)).status).toBe(403);
    expect((await send(token!)).status).toBe(200);
  }, 60_000);
});
