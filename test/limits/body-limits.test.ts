import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testApp } from '../support/app.ts';
import { type RunningServer, startServer } from '../support/server.ts';

/** Resident memory of a process in bytes, from /proc (Linux). */
function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, '')) * 1024;
}

/** How far a streamed upload got before the reply: status, reply body and the bytes written by then. */
interface StreamOutcome {
  status: number;
  body: { error?: { code: string; message: string } };
  bytesWrittenBeforeReply: number;
  uploadFinished: boolean;
}

/**
 * POSTs a chunked body of up to `totalBytes` (never declaring its length), writing only as fast as the server reads,
 * and stops writing as soon as a reply arrives.
 */
function streamHugeBody(url: string, headers: Record<string, string>, totalBytes: number): Promise<StreamOutcome> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let written = 0;
    let replied = false;
    let uploadFinished = false;
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      replied = true;
      const bytesWrittenBeforeReply = written;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as StreamOutcome['body'], bytesWrittenBeforeReply, uploadFinished });
      });
    });
    req.on('error', (err) => {
      if (!replied) reject(err);
    });
    const pump = () => {
      while (!replied && written < totalBytes) {
        written += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!replied && written >= totalBytes) {
        uploadFinished = true;
        req.end();
      }
    };
    req.write('{"token":"');
    pump();
  });
}

const UPLOAD_BYTES = 256 * 1024 * 1024;

describe('bounded request bodies on a listening server', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const routes = [
    { name: 'admin login', path: '/api/v1/admin/session', limit: 4 * 1024, headers: () => ({ origin: server.url }) },
    { name: 'alert rules', path: '/api/v1/alerts', limit: 64 * 1024, headers: () => ({ authorization: `Bearer ${server.adminToken}` }) },
    { name: 'portal sign-up', path: '/api/v1/portal/signup', limit: 16 * 1024, headers: () => ({ origin: server.url }) },
  ];

  it.each(routes)(
    'answers a 256 MiB chunked $name body with 413 long before the upload ends, without buffering it',
    async ({ path, headers }) => {
      const rssBefore = rssOf(server.child.pid!);
      const outcome = await streamHugeBody(`${server.url}${path}`, headers(), UPLOAD_BYTES);
      expect(outcome.status).toBe(413);
      expect(outcome.body.error?.code).toBe('payload_too_large');
      expect(outcome.body.error?.message).toContain('body');
      expect(outcome.uploadFinished).toBe(false);
      expect(outcome.bytesWrittenBeforeReply).toBeLessThan(UPLOAD_BYTES / 4);
      expect(rssOf(server.child.pid!) - rssBefore).toBeLessThan(48 * 1024 * 1024);
    },
    60_000,
  );

  it.each(routes)('answers a $name body declared one byte over its limit with 413 before it is sent', async ({ path, limit, headers }) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers() },
      body: JSON.stringify({ token: 'x'.repeat(limit) }).slice(0, limit + 1),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as StreamOutcome['body']).error?.code).toBe('payload_too_large');
  });
});

describe('admin login lockout', () => {
  const ORIGIN = 'http://localhost';
  const post = (app: ReturnType<typeof testApp>['app'], body: string) =>
    app.request(`${ORIGIN}/api/v1/admin/session`, { method: 'POST', headers: { origin: ORIGIN, 'content-type': 'application/json' }, body });

  it('counts malformed login bodies (bad JSON, wrong shape) like wrong tokens', async () => {
    const { app } = testApp();
    const malformed = ['{"token":', '[]', '{"token": 42}', '{}', 'null'];
    for (let i = 0; i < 10; i += 1) expect((await post(app, malformed[i % malformed.length]!)).status).toBe(400);
    const blocked = await post(app, JSON.stringify({ token: ADMIN_TOKEN }));
    expect(blocked.status).toBe(429);
  });
});
