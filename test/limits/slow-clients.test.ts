import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../support/server.ts';

const SLOW_SOCKETS = 200;

/** A socket to the server on 127.0.0.1, with what it received and when it was closed. */
function open(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => received, closed }));
    socket.once('error', reject);
  });
}

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

describe('slow and idle clients on a listening server', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ env: { ONRAMP_HEADERS_TIMEOUT_MS: '2000', ONRAMP_REQUEST_TIMEOUT_MS: '4000', ONRAMP_KEEP_ALIVE_TIMEOUT_MS: '1000' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it(`keeps serving others while ${SLOW_SOCKETS} slowloris sockets trickle headers, then closes them with a JSON 408`, async () => {
    const slow = await Promise.all(Array.from({ length: SLOW_SOCKETS }, () => open(server.port)));
    for (const s of slow) s.socket.write('GET /api/v1/admin/session HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // One more header byte a second from each: never finishing the headers, never idle either.
    const trickle = setInterval(() => {
      for (const s of slow) if (!s.socket.destroyed) s.socket.write('X');
    }, 1000);
    try {
      for (let i = 0; i < 5; i += 1) {
        const started = Date.now();
        const res = await fetch(`${server.url}/api/v1/admin/session`, { signal: AbortSignal.timeout(5000) });
        expect(res.status).toBe(200);
        expect(Date.now() - started).toBeLessThan(2000);
        await new Promise((r) => setTimeout(r, 200));
      }
      const allClosed = await within(Promise.all(slow.map((s) => s.closed)), 10_000);
      expect(allClosed, `${slow.filter((s) => !s.socket.destroyed && !s.socket.readableEnded).length} slow sockets still open`).toBe(true);
      const answered = slow.map((s) => s.received()).filter((r) => r.startsWith('HTTP/1.1 408'));
      expect(answered.length).toBeGreaterThan(0);
      expect(answered[0]).toContain('"code":"bad_request"');
    } finally {
      clearInterval(trickle);
      for (const s of slow) s.socket.destroy();
    }
  }, 45_000);

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const client = await open(server.port);
    client.socket.write('GET /api/v1/admin/session HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await within(client.closed, 5_000)).toBe(true);
    expect(client.received()).toMatch(/^HTTP\/1\.1 200/);
  }, 15_000);

  it('closes a connection that never sends anything', async () => {
    const client = await open(server.port);
    expect(await within(client.closed, 8_000)).toBe(true);
  }, 15_000);
});

describe('the connection bound', () => {
  it('closes connections past ONRAMP_MAX_CONNECTIONS on arrival, and serves again once they go', async () => {
    const server = await startServer({ env: { ONRAMP_MAX_CONNECTIONS: '20' } });
    const held: Array<Awaited<ReturnType<typeof open>>> = [];
    try {
      for (let i = 0; i < 20; i += 1) held.push(await open(server.port));
      const extra = await open(server.port);
      expect(await within(extra.closed, 3_000)).toBe(true);
      for (const s of held) s.socket.destroy();
      await new Promise((r) => setTimeout(r, 300));
      expect((await fetch(`${server.url}/api/v1/admin/session`)).status).toBe(200);
    } finally {
      for (const s of held) s.socket.destroy();
      await server.stop();
    }
  }, 45_000);
});
