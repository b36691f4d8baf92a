import { afterAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../support/server.ts';

describe('server start with ONRAMP_DEMO=1', () => {
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('loads the demo data into an empty database, prints the counts, and does not reload on restart', async () => {
    server = await startServer({ env: { ONRAMP_DEMO: '1' } });
    expect(server.output()).toMatch(/loaded demo data \(\d+ events, \d+ persons/);
    const res = await fetch(`${server.url}/api/v1/events?event=signed_up&limit=5`, { headers: { authorization: `Bearer ${server.adminToken}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { events: unknown[] };
    expect(body.events.length).toBe(5);
    await server.stop();

    server = await startServer({ env: { ONRAMP_DEMO: '1' }, databaseUrl: server.databaseUrl });
    expect(server.output()).not.toMatch(/loaded demo data/);
    // Two server starts and a demo seed of about 54,000 events: 25 s on PostgreSQL on a busy 2-core machine.
  }, 120_000);
});
