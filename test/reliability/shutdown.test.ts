import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { uuidv7 } from 'uuidv7';
import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server.ts';
import { loadEvent, runLoad } from './load.ts';

/** Starts a capture request whose body arrives in two parts, so it is provably in flight when SIGTERM lands. */
function slowRequest(url: string, token: string) {
  const uuids = Array.from({ length: 20 }, () => uuidv7());
  const text = JSON.stringify({ api_key: token, batch: uuids.map((u) => loadEvent(token, 'slow-client', u)) });
  const half = Math.floor(text.length / 2);
  let sendRest!: () => void;
  const rest = new Promise<void>((r) => (sendRest = r));
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(new TextEncoder().encode(text.slice(0, half)));
      await rest;
      controller.enqueue(new TextEncoder().encode(text.slice(half)));
      controller.close();
    },
  });
  const response = fetch(`${url}/batch/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    duplex: 'half',
  } as RequestInit);
  return { uuids, sendRest, response };
}

describe('graceful shutdown on SIGTERM', () => {
  it('stops accepting, finishes in-flight requests, closes the DB and exits 0 within 10 s', { timeout: 40_000 }, async () => {
    const server = await startServer();
    let stop = false;
    const load = runLoad({ url: server.url, token: server.projectToken, clients: 16, stop: () => stop });
    const slow = slowRequest(server.url, server.projectToken);
    await new Promise((r) => setTimeout(r, 700));

    const exited = new Promise<{ code: number | null; at: number }>((resolve) => server.child.once('exit', (code) => resolve({ code, at: Date.now() })));
    // A server-side funnel event queued in posthog-node (flushed every second) just before SIGTERM: the shutdown
    // hook must deliver it while the writer and the database are still open.
    const email = `shutdown-${Date.now()}@example.com`;
    const signup = await fetch(`${server.url}/api/v1/portal/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({ email, password: 'correct horse battery' }),
    });
    expect(signup.status).toBe(201);
    const accountId = ((await signup.json()) as { account: { id: string } }).account.id;
    const sentAt = Date.now();
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    // The listener is closed: a new connection is refused while the slow request is still being served.
    const late = await fetch(`${server.url}/i/v0/e/`, { method: 'POST', body: '{}' }).then(
      (r) => `status ${r.status}`,
      (err: Error) => `refused: ${(err.cause as { code?: string } | undefined)?.code ?? err.message}`,
    );
    slow.sendRest();
    const slowResponse = await slow.response;
    stop = true;
    const result = await load;
    const { code, at } = await exited;

    expect(late).toMatch(/^refused/);
    expect(slowResponse.status).toBe(200);
    expect(code).toBe(0);
    expect(at - sentAt).toBeLessThan(10_000);
    expect(server.output()).toContain('shutdown complete');
    // Once the keep-alive sockets close the clients stop; a request may be refused at connect, never half-answered.
    expect([...result.statuses.keys()].filter((s) => s !== 200)).toEqual([]);
    expect(result.acknowledged.size).toBeGreaterThan(0);
    expect(
      [...result.errors.keys()].filter((e) => e !== 'ECONNREFUSED'),
      'requests cut mid-flight',
    ).toEqual([]);
    // A cleanly closed SQLite database checkpoints and removes its WAL.
    expect(existsSync(`${server.databasePath}-wal`)).toBe(false);

    const db = new Database(server.databasePath, { readonly: true });
    try {
      const has = db.prepare('SELECT COUNT(*) FROM events WHERE uuid = ?').pluck();
      const missing = [...result.acknowledged, ...slow.uuids].filter((u) => has.get(u) !== 1);
      expect(missing).toEqual([]);
      const signedUp = db.prepare("SELECT COUNT(*) FROM events WHERE event = 'signed_up' AND distinct_id = ?").pluck().get(accountId);
      expect(signedUp, 'posthog-node flushed during shutdown').toBe(1);
    } finally {
      db.close();
    }
    console.log(
      `[shutdown] exit ${code} after ${at - sentAt} ms; acknowledged=${result.acknowledged.size} lost=0; client errors=${JSON.stringify(Object.fromEntries(result.errors))}`,
    );
  });
});
