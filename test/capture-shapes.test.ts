import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { listEvents, PROJECT_TOKEN, SERVER_TOKEN, storedRows, testApp } from './support/app.ts';
import { captureEvent } from './support/factories.ts';

/** posthog-js's base64 encoding: btoa over UTF-8 bytes, then URI-encoded into a form field. */
function posthogJsBase64(json: string) {
  return `data=${encodeURIComponent(Buffer.from(json, 'utf8').toString('base64'))}`;
}

const sentAt = () => `sent_at=${Date.now()}`;

describe('request shapes posthog-js sends', () => {
  const encodings = [
    ['plain JSON', (body: unknown) => ({ query: '', init: { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } })],
    [
      'gzip-js',
      (body: unknown) => ({ query: '&compression=gzip-js', init: { body: gzipSync(JSON.stringify(body)), headers: { 'content-type': 'text/plain' } } }),
    ],
    [
      'base64 form',
      (body: unknown) => ({
        query: '&compression=base64',
        init: { body: posthogJsBase64(JSON.stringify(body)), headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      }),
    ],
  ] as const;

  describe.each(encodings)('%s', (_name, encode) => {
    it.each(['/e/', '/i/v0/e/', '/batch', '/capture/', '/track'])('stores a batch array sent to %s', async (path) => {
      const { app } = testApp();
      const events = [captureEvent({ properties: { token: PROJECT_TOKEN, distinct_id: 'anon-x', $pathname: '/docs/ünïcode/' } }), captureEvent()];
      const { query, init } = encode(events);
      const res = await app.request(`${path}?ip=0&ver=1.200.0&${sentAt()}${query}`, { method: 'POST', ...init });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 1 });
      const stored = await listEvents(app);
      expect(stored.map((e) => e.uuid).sort()).toEqual(events.map((e) => e.uuid).sort());
      expect(stored.find((e) => e.distinctId === 'anon-x')?.properties.$pathname).toBe('/docs/ünïcode/');
    });

    it('stores a single event and a { api_key, batch } envelope', async () => {
      const { app } = testApp();
      const single = captureEvent();
      const envelope = { api_key: PROJECT_TOKEN, batch: [captureEvent({ properties: { distinct_id: 'b1' } })], sent_at: new Date().toISOString() };
      for (const body of [single, envelope]) {
        const { query, init } = encode(body);
        const res = await app.request(`/e/?${sentAt()}${query}`, { method: 'POST', ...init });
        expect(res.status).toBe(200);
      }
      expect(await listEvents(app)).toHaveLength(2);
    });
  });

  it('detects gzip from the magic bytes of a text/plain body and from Content-Encoding', async () => {
    const { app } = testApp();
    const a = await app.request('/e/', { method: 'POST', body: gzipSync(JSON.stringify(captureEvent())), headers: { 'content-type': 'text/plain' } });
    const b = await app.request('/batch/', {
      method: 'POST',
      body: gzipSync(JSON.stringify({ api_key: PROJECT_TOKEN, batch: [captureEvent()] })),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await listEvents(app)).toHaveLength(2);
  });

  it('stores a repeated uuid once', async () => {
    const { app } = testApp();
    const event = captureEvent();
    for (let i = 0; i < 3; i++) {
      const res = await app.request('/e/', { method: 'POST', body: JSON.stringify([event, event]) });
      expect(res.status).toBe(200);
    }
    expect(await listEvents(app)).toHaveLength(1);
  });

  it('corrects client clock skew with sent_at and keeps the receive time', async () => {
    const { app, db } = testApp();
    const skew = 3_600_000; // client clock one hour ahead
    const now = Date.now();
    const event = captureEvent({ timestamp: new Date(now + skew - 5_000).toISOString() });
    await app.request(`/e/?sent_at=${now + skew}`, { method: 'POST', body: JSON.stringify(event) });
    await listEvents(app); // applies the ingest log first
    const [stored] = await storedRows<{ timestamp: number | string; received_at: number | string }>(db, 'SELECT timestamp, received_at FROM events');
    const row = { timestamp: Number(stored!.timestamp), received_at: Number(stored!.received_at) };
    expect(Math.abs(row.timestamp - (row.received_at - 5_000))).toBeLessThan(50);
    expect(Math.abs(row.received_at - now)).toBeLessThan(5_000);
  });

  it('takes distinct_id from the top level and the token from `token`', async () => {
    const { app } = testApp();
    const res = await app.request('/capture/', {
      method: 'POST',
      body: JSON.stringify({ token: SERVER_TOKEN, event: 'signed_up', distinct_id: 42, properties: {} }),
    });
    expect(res.status).toBe(200);
    expect((await listEvents(app))[0]).toMatchObject({ event: 'signed_up', distinctId: '42' });
  });

  it('merges identities from $identify (with top-level $set) and $set_once', async () => {
    const { app, db } = testApp();
    const send = (body: unknown) => app.request('/e/', { method: 'POST', body: JSON.stringify(body) });
    await send(captureEvent({ properties: { token: PROJECT_TOKEN, distinct_id: 'anon-a' } }));
    await send(captureEvent({ properties: { token: PROJECT_TOKEN, distinct_id: 'acct-1' } }));
    await send(
      captureEvent({
        event: '$identify',
        $set: { email: 'dev@example.com' },
        $set_once: { first_seen_docs: '/docs/' },
        properties: { token: PROJECT_TOKEN, distinct_id: 'acct-1', $anon_distinct_id: 'anon-a' },
      }),
    );
    const stored = await listEvents(app, 'distinct_id=anon-a');
    expect(stored).toHaveLength(3);
    expect(new Set(stored.map((e) => e.personId)).size).toBe(1);
    const person = await storedRows<{ properties: string | object; is_identified: number | boolean }>(db, 'SELECT properties, is_identified FROM persons');
    expect(person).toHaveLength(1);
    const properties = person[0]!.properties;
    expect(typeof properties === 'string' ? JSON.parse(properties) : properties).toEqual({ email: 'dev@example.com', first_seen_docs: '/docs/' });
    expect(Number(person[0]!.is_identified)).toBe(1);
  });

  it('never merges two identified persons through $identify', async () => {
    const { app } = testApp();
    const identify = (user: string, anon: string) =>
      app.request('/e/', {
        method: 'POST',
        body: JSON.stringify(captureEvent({ event: '$identify', properties: { token: PROJECT_TOKEN, distinct_id: user, $anon_distinct_id: anon } })),
      });
    await identify('user-a', 'anon-1');
    await identify('user-b', 'anon-2');
    await identify('user-a', 'user-b');
    const a = await listEvents(app, 'distinct_id=user-a');
    const b = await listEvents(app, 'distinct_id=user-b');
    expect(a[0]!.personId).not.toBe(b[0]!.personId);
  });
});

describe('posthog-js support routes', () => {
  it('answers /flags/?v=2 with an empty flag set', async () => {
    const { app } = testApp();
    const res = await app.request('/flags/?v=2', { method: 'POST', body: JSON.stringify({ token: PROJECT_TOKEN, distinct_id: 'x' }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ flags: {}, featureFlags: {}, errorsWhileComputingFlags: false });
  });

  it('serves a remote config that turns off surveys and recording and advertises gzip', async () => {
    const { app } = testApp();
    const json = (await (await app.request(`/array/${PROJECT_TOKEN}/config`)).json()) as Record<string, unknown>;
    expect(json).toMatchObject({ surveys: false, sessionRecording: false, supportedCompression: expect.arrayContaining(['gzip-js']) });
    const js = await app.request(`/array/${PROJECT_TOKEN}/config.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(await js.text()).toContain('_POSTHOG_REMOTE_CONFIG');
  });

  it('answers CORS preflight on capture routes', async () => {
    const { app } = testApp();
    const res = await app.request('/i/v0/e/', {
      method: 'OPTIONS',
      headers: { origin: 'https://docs.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://docs.example.com');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });
});
