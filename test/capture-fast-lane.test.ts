import { createServer, type RequestListener, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { getRequestListener } from '@hono/node-server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureFastLane } from '../api/ingest/fast-lane.ts';
import { arbitraryCapture, type FuzzRequest, malformedCapture, validEvent } from './fuzz/arbitraries.ts';
import { PROJECT_TOKEN, testApp } from './support/app.ts';

/** A reply as it came off the wire: status line, headers in order with their case, body bytes. `Date` left out. */
interface WireReply {
  status: string;
  headers: string[];
  body: string;
}

function listen(listener: RequestListener): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer(listener);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

function send(port: number, req: FuzzRequest & { chunked?: boolean }): Promise<WireReply> {
  return new Promise((resolve, reject) => {
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const headers: Record<string, string | number> = { ...req.headers };
    if (body && !req.chunked) headers['content-length'] = body.length;
    const outgoing = request({ host: '127.0.0.1', port, method: req.method, path: req.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = res.rawHeaders;
        const kept: string[] = [];
        for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() !== 'date') kept.push(`${raw[i]}: ${raw[i + 1]}`);
        resolve({ status: `${res.statusCode} ${res.statusMessage}`, headers: kept, body: Buffer.concat(chunks).toString('latin1') });
      });
    });
    // A 413 may be sent before the whole body is written; the server then drops the rest.
    outgoing.on('error', reject);
    if (body && req.chunked) {
      for (let at = 0; at < body.length; at += 64 * 1024) outgoing.write(body.subarray(at, at + 64 * 1024));
    } else if (body) outgoing.write(body);
    outgoing.end();
  });
}

const origins = fc.option(fc.constantFrom('https://app.example.com', 'http://localhost:4321', 'null', ''), { nil: undefined });
const queries = fc.constantFrom(
  '',
  '?ip=0&ver=1.200.0',
  `?sent_at=${Date.now()}`,
  '?compression=gzip-js',
  '?compression=base64',
  '?_=1&compression=gzip%2Djs',
  '?sent_at=not-a-time',
  '?a=%zz',
);

/** Requests that should be stored: every body shape and encoding posthog-js and posthog-node send. */
const acceptedCapture: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    fc.constantFrom('/e', '/e/', '/i/v0/e/', '/batch/', '/capture', '/track/'),
    fc.constantFrom('single', 'array', 'batch'),
    fc.constantFrom('json', 'gzip-header', 'gzip-query', 'base64-form'),
    fc.integer({ min: 1, max: 5 }),
  )
  .map(([path, shape, encoding, n]): FuzzRequest => {
    const events = Array.from({ length: n }, () => validEvent(PROJECT_TOKEN));
    const json = JSON.stringify(shape === 'single' ? events[0] : shape === 'array' ? events : { api_key: PROJECT_TOKEN, batch: events });
    if (encoding === 'gzip-header')
      return { method: 'POST', path, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(json) };
    if (encoding === 'gzip-query')
      return { method: 'POST', path: `${path}?compression=gzip-js`, headers: { 'content-type': 'text/plain' }, body: gzipSync(json) };
    if (encoding === 'base64-form') {
      const data = encodeURIComponent(Buffer.from(json).toString('base64'));
      return { method: 'POST', path: `${path}?compression=base64`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `data=${data}` };
    }
    return { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: json };
  });

/** Any of the above with an Origin (CORS is reflected), extra query parameters, and sometimes a chunked body. */
const anyCapture = fc
  .tuple(fc.oneof(acceptedCapture, malformedCapture(PROJECT_TOKEN), arbitraryCapture(PROJECT_TOKEN)), origins, queries, fc.boolean())
  .map(([req, origin, query, chunked]) => ({
    ...req,
    path: req.path.includes('?') || query === '' ? req.path : `${req.path}${query}`,
    headers: origin === undefined ? req.headers : { ...req.headers, origin },
    chunked: chunked && req.body !== undefined,
  }));

describe('capture fast lane (node:http) answers exactly as the Hono route', () => {
  const { app } = testApp();
  let hono: { server: Server; port: number };
  let fast: { server: Server; port: number };
  beforeAll(async () => {
    const honoListener = getRequestListener(app.fetch);
    hono = await listen(honoListener);
    fast = await listen(captureFastLane({ core: app.capture }, honoListener));
  });
  afterAll(() => {
    hono.server.close();
    fast.server.close();
  });

  it("shares the app's capture core, so the process has one body budget", async () => {
    const { request } = await import('node:http');
    const upload = request({ host: '127.0.0.1', port: fast.port, path: '/batch/', method: 'POST', headers: { 'content-type': 'application/json' } });
    upload.on('error', () => undefined);
    upload.write('{"api_key":"');
    try {
      let reserved = 0;
      for (let i = 0; i < 100 && reserved === 0; i += 1) {
        await new Promise((r) => setTimeout(r, 20));
        reserved = app.capture.reservedBodyBytes;
      }
      // A chunked body reserves the 1 MiB cap, in the app's own core: the Hono route would see it taken.
      expect(reserved).toBe(1024 * 1024);
    } finally {
      upload.destroy();
    }
    for (let i = 0; i < 100 && app.capture.reservedBodyBytes > 0; i += 1) await new Promise((r) => setTimeout(r, 20));
    expect(app.capture.reservedBodyBytes).toBe(0);
  });

  it('gives byte-identical replies (status, headers in order, body) to generated capture requests', async () => {
    const before = app.writer.committedRequests;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(anyCapture, async (req) => {
        const viaHono = await send(hono.port, req);
        const viaFastLane = await send(fast.port, req);
        expect(viaFastLane).toEqual(viaHono);
        if (viaHono.status.startsWith('200')) accepted += 1;
      }),
      { numRuns: Number(process.env.FUZZ_SCALE ?? 1) * 300 },
    );
    // The property must have exercised the success path too, and both lanes must have stored what they accepted.
    expect(accepted).toBeGreaterThan(20);
    expect(app.writer.committedRequests - before).toBe(2 * accepted);
  }, 120_000);

  it('gives the same 413 for a declared oversized body and for a chunked one cut off at the cap', async () => {
    const big = JSON.stringify(validEvent(PROJECT_TOKEN, { properties: { token: PROJECT_TOKEN, distinct_id: 'big', pad: 'x'.repeat(1100 * 1024) } }));
    for (const chunked of [false, true]) {
      const req = { method: 'POST', path: '/batch/', headers: { 'content-type': 'application/json', origin: 'https://a.example' }, body: big, chunked };
      const [viaHono, viaFastLane] = [await send(hono.port, req), await send(fast.port, req)];
      expect(viaHono.status).toBe('413 Payload Too Large');
      expect(viaFastLane).toEqual(viaHono);
    }
  });

  it('serves other methods and paths through Hono unchanged', async () => {
    const requests: FuzzRequest[] = [
      { method: 'OPTIONS', path: '/i/v0/e/', headers: { origin: 'https://a.example', 'access-control-request-headers': 'content-type' } },
      { method: 'GET', path: '/e/', headers: {} },
      { method: 'GET', path: '/array/phc_x/config', headers: { origin: 'https://a.example' } },
      { method: 'POST', path: '/i/v0/e/../e/', headers: { 'content-type': 'application/json' }, body: JSON.stringify(validEvent(PROJECT_TOKEN)) },
    ];
    for (const req of requests) {
      expect(await send(fast.port, req)).toEqual(await send(hono.port, req));
    }
  });

  it('answers 503 + Retry-After the same way once the writer refuses', async () => {
    const closed = testApp();
    closed.app.writer.close();
    const honoListener = getRequestListener(closed.app.fetch);
    const a = await listen(honoListener);
    const b = await listen(captureFastLane({ core: closed.app.capture }, honoListener));
    try {
      const req = {
        method: 'POST',
        path: '/i/v0/e/',
        headers: { 'content-type': 'application/json', origin: 'https://a.example' },
        body: JSON.stringify(validEvent(PROJECT_TOKEN)),
      };
      const viaHono = await send(a.port, req);
      expect(viaHono.status).toBe('503 Service Unavailable');
      expect(viaHono.headers).toContain('retry-after: 2');
      expect(await send(b.port, req)).toEqual(viaHono);
    } finally {
      a.server.close();
      b.server.close();
    }
  });
});
