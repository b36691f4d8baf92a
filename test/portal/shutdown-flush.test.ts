import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../support/server.ts';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('posthog-node events survive a graceful shutdown', () => {
  it('events queued just before SIGTERM are flushed before the database closes', async () => {
    // server.ts batches events (20, or every 1 s). The calls below happen well inside one interval of SIGTERM, and
    // shutdown closes the database about 0.3 s later, so without the shutdown flush they would be lost.
    server = await startServer();
    const origin = server.url;
    const signup = await fetch(`${origin}/api/v1/portal/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({ email: `stop.${Date.now()}@example.com`, password: 'a long enough passphrase' }),
    });
    expect(signup.status).toBe(201);
    const { account } = (await signup.json()) as { account: { id: string } };
    const cookie = signup.headers.get('set-cookie')!.split(';')[0]!;
    const created = await fetch(`${origin}/api/v1/portal/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, cookie },
      body: JSON.stringify({ name: 'last one' }),
    });
    const { secret } = (await created.json()) as { secret: string };
    const calls = await Promise.all(
      Array.from({ length: 5 }, () => fetch(`${origin}/sandbox/v1/messages`, { headers: { authorization: `Bearer ${secret}` } })),
    );
    expect(calls.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);

    expect(await server.stop('SIGTERM')).toBe(0);
    const db = new Database(server.databasePath, { readonly: true });
    const rows = db.prepare('SELECT event FROM events WHERE distinct_id = ? ORDER BY event').all(account.id) as Array<{ event: string }>;
    db.close();
    expect(rows.map((r) => r.event)).toEqual(['api_call', 'api_call', 'api_call', 'api_call', 'api_call', 'api_key_created', 'signed_up']);
  }, 60_000);
});
