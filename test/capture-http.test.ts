import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appListener } from '../api/app.ts';
import { listEvents, PROJECT_TOKEN, testApp } from './support/app.ts';
import { captureEvent } from './support/factories.ts';

/** A reply off the wire: status, headers (lower-case names), body text. */
interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const { app } = testApp();
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer({ requireHostHeader: false }, appListener(app));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends a raw request: any method, request target and Host header, as a client on the wire could. */
function send(method: string, target: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const all: Record<string, string | number> = { ...headers };
    if (body !== undefined) all['content-length'] = Buffer.byteLength(body);
    const outgoing = request({ host: '127.0.0.1', port, method, path: target, headers: all, setHost: headers.host === undefined, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const ORIGIN = 'https://docs.example.com';
const json = { 'content-type': 'application/json' };

describe('the capture surface on node:http (api/ingest/capture-http.ts)', () => {
  it.each([
    ['an upper-case host with a port', '/e/', { host: 'DOCS.Example.com:8080' }],
    ['an IPv6 host', '/i/v0/e', { host: '[::1]:8787' }],
    ['an absolute-form target', 'http://onramp.test/batch/?ver=1', {}],
    ['a dot segment', '/docs/../capture/', {}],
    ['a percent-encoded path', '/%74rack', {}],
  ])('stores an event sent with %s', async (_case, target, headers) => {
    const event = captureEvent({ distinct_id: `odd-${target}` });
    const reply = await send('POST', target, { ...json, ...headers, origin: ORIGIN }, JSON.stringify(event));
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ status: 1 });
    expect(reply.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect((await listEvents(app)).map((e) => e.uuid)).toContain(event.uuid);
  });

  it('answers a preflight on every part of the surface, allowing the requested headers', async () => {
    for (const path of ['/e/', '/i/v0/e/', '/batch', '/flags/?v=2', '/decide', `/array/${PROJECT_TOKEN}/config.js`]) {
      const reply = await send('OPTIONS', path, { origin: ORIGIN, 'access-control-request-headers': 'content-type, x-trace' });
      expect(reply.status, path).toBe(204);
      expect(reply.body).toBe('');
      expect(reply.headers).toMatchObject({
        'access-control-allow-origin': ORIGIN,
        'access-control-allow-credentials': 'true',
        'access-control-allow-headers': 'content-type,x-trace',
        'access-control-max-age': '86400',
        vary: 'Origin, Access-Control-Request-Headers',
      });
    }
  });

  it('serves the remote config to GET and HEAD, and flags to POST, with CORS', async () => {
    const config = await send('GET', `/array/${PROJECT_TOKEN}/config/`, { origin: ORIGIN });
    expect(config.status).toBe(200);
    expect(JSON.parse(config.body)).toMatchObject({ token: PROJECT_TOKEN, hasFeatureFlags: false });
    const head = await send('HEAD', `/array/${PROJECT_TOKEN}/config`);
    expect([head.status, head.body, head.headers['access-control-allow-origin']]).toEqual([200, '', '*']);
    const script = await send('GET', '/array/phc_%22quoted/config.js');
    expect(script.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(script.body).toContain('window._POSTHOG_REMOTE_CONFIG["phc_\\"quoted"]');
    const flags = await send('POST', '/decide/', json, '{}');
    expect(JSON.parse(flags.body)).toMatchObject({ featureFlags: {}, errorsWhileComputingFlags: false });
  });

  it('answers other methods on its paths with the JSON 404 and CORS, without reading a body', async () => {
    for (const [method, path] of [
      ['GET', '/e/'],
      ['PUT', '/batch'],
      ['GET', '/flags'],
      ['POST', `/array/${PROJECT_TOKEN}/config`],
      ['GET', '/array/x/other'],
    ] as const) {
      const reply = await send(method, path, { origin: ORIGIN }, method === 'GET' ? undefined : 'x');
      expect(reply.status, `${method} ${path}`).toBe(404);
      expect(JSON.parse(reply.body)).toEqual({ error: { code: 'not_found', message: `path: no route for ${method} ${path.replace(/\/$/, '')}` } });
      expect(reply.headers['access-control-allow-origin']).toBe(ORIGIN);
    }
  });

  it('leaves paths that only look like capture to Hono: its 404, with security headers and no CORS', async () => {
    for (const path of ['/E/', '//e/', '/ex', '/array']) {
      const reply = await send('POST', path, { ...json, origin: ORIGIN }, '{}');
      expect(reply.status, path).toBe(404);
      expect(reply.headers['access-control-allow-origin'], path).toBeUndefined();
    }
    expect((await send('GET', '/ex')).headers['x-content-type-options']).toBe('nosniff');
  });

  it('holds a chunked upload against the one body budget of the app capture core', async () => {
    const upload = request({ host: '127.0.0.1', port, path: '/batch/', method: 'POST', headers: json });
    upload.on('error', () => undefined);
    upload.write('{"api_key":"');
    try {
      let reserved = 0;
      for (let i = 0; i < 100 && reserved === 0; i += 1) {
        await new Promise((r) => setTimeout(r, 20));
        reserved = app.capture.reservedBodyBytes;
      }
      // A chunked body reserves the 1 MiB cap until it ends.
      expect(reserved).toBe(1024 * 1024);
    } finally {
      upload.destroy();
    }
    for (let i = 0; i < 100 && app.capture.reservedBodyBytes > 0; i += 1) await new Promise((r) => setTimeout(r, 20));
    expect(app.capture.reservedBodyBytes).toBe(0);
  });
});
