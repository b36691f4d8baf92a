import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../support/server.ts';

/** Sends raw bytes on a fresh socket and resolves with everything the server wrote back before closing or 3 s. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      const headEnd = answer.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(answer)?.[1];
      if (headEnd >= 0 && length !== undefined && answer.length >= headEnd + 4 + Number(length)) socket.destroy();
    });
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.setTimeout(3_000, () => socket.destroy());
    socket.write(bytes);
  });
}

const cases = [
  { name: 'a backslash in the path', bytes: 'GET /api\\v1\\events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' },
  { name: 'a backslash path to capture', bytes: 'POST \\batch\\ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}' },
  { name: 'a missing Host header', bytes: 'GET /api/v1/admin/session HTTP/1.1\r\n\r\n' },
  { name: 'a Host with a space', bytes: 'GET /api/v1/admin/session HTTP/1.1\r\nHost: exa mple.com\r\n\r\n' },
  { name: 'a Host with user info', bytes: 'GET /api/v1/admin/session HTTP/1.1\r\nHost: user@127.0.0.1\r\n\r\n' },
  { name: 'an unclosed IPv6 Host', bytes: 'GET /api/v1/admin/session HTTP/1.1\r\nHost: [::1\r\n\r\n' },
  { name: 'a Host with a path', bytes: 'GET /api/v1/admin/session HTTP/1.1\r\nHost: 127.0.0.1/evil\r\n\r\n' },
  { name: 'two Host headers', bytes: 'GET /api/v1/admin/session HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: example.com\r\n\r\n' },
  { name: 'an absolute file:// target', bytes: 'GET file:///etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' },
  { name: 'an absolute file:// capture target', bytes: 'POST file:///batch/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}' },
  { name: 'a CONNECT request', bytes: 'CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n' },
  { name: 'a CONNECT request to a capture path', bytes: 'CONNECT /batch/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' },
];

describe('malformed requests on a listening server get the JSON 400', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each(cases)('answers $name with 400 { error: { code: "bad_request" } }', async ({ bytes }) => {
    const answer = await exchange(server.port, bytes);
    expect(answer, JSON.stringify(answer.slice(0, 300))).toMatch(/^HTTP\/1\.1 400 /);
    const head = answer.slice(0, answer.indexOf('\r\n\r\n'));
    expect(head.toLowerCase()).toContain('content-type: application/json');
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('bad_request');
    expect(body.error.message.length).toBeGreaterThan(0);
  });

  it('still serves a well-formed request afterwards', async () => {
    expect((await fetch(`${server.url}/api/v1/admin/session`)).status).toBe(200);
  });
});
