import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../support/server.ts';
import { malformedCapture, validEvent } from './arbitraries.ts';

const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261123;

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

/** Writes raw bytes on a fresh TCP connection and returns whatever the server answers before closing. */
function rawExchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.setTimeout(3_000, () => socket.destroy());
    socket.write(bytes, () => socket.end());
  });
}

function expectHttpError(answer: string, sent: string) {
  const [head, body] = [answer.slice(0, answer.indexOf('\r\n\r\n')), answer.slice(answer.indexOf('\r\n\r\n') + 4)];
  expect(head, `sent ${JSON.stringify(sent.slice(0, 120))}`).toMatch(/^HTTP\/1\.1 4\d\d /);
  const parsed = JSON.parse(body) as { error: { code: string; message: string } };
  expect(typeof parsed.error.code).toBe('string');
  expect(parsed.error.message.length).toBeGreaterThan(0);
}

describe('fuzz against the real server process', () => {
  it(`malformed capture requests over HTTP → 4xx with the error body (${Math.round(300 * SCALE)} runs)`, { timeout: 90_000 * SCALE }, async () => {
    await fc.assert(
      fc.asyncProperty(malformedCapture(server.projectToken), async (req) => {
        const res = await fetch(`${server.url}${req.path}`, { method: req.method, headers: req.headers, body: req.body as BodyInit | undefined });
        const text = await res.text();
        expect(res.status, `${req.method} ${req.path} → ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(typeof (JSON.parse(text) as { error: { code: unknown } }).error.code).toBe('string');
      }),
      { numRuns: Math.round(300 * SCALE), seed: SEED, endOnFailure: true },
    );
  });

  it(`bytes Node's HTTP parser rejects get a JSON 4xx too (${Math.round(100 * SCALE)} runs + fixed cases)`, { timeout: 60_000 * SCALE }, async () => {
    const fixed = [
      'GARBAGE\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nBad\u0001Header: y\r\n\r\n',
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      'POST /batch/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nnot a chunk\r\n\r\n',
      'POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 9\r\n\r\nhello',
      'GET / HTTP/9.9\r\n\r\n',
    ];
    for (const text of fixed) expectHttpError(await rawExchange(server.port, Buffer.from(text, 'latin1')), text);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
        // A leading byte no method starts with, so the parser must refuse the request line.
        const sent = Buffer.concat([Buffer.from([0x01]), Buffer.from(bytes), Buffer.from('\r\n\r\n')]);
        expectHttpError(await rawExchange(server.port, sent), sent.toString('latin1'));
      }),
      { numRuns: Math.round(100 * SCALE), seed: SEED },
    );
  });

  it('is still alive and storing afterwards', async () => {
    expect(server.child.exitCode).toBeNull();
    const res = await fetch(`${server.url}/i/v0/e/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(validEvent(server.projectToken)),
    });
    expect(res.status).toBe(200);
    expect(server.output()).not.toMatch(/unhandled|uncaught/i);
  });
});
