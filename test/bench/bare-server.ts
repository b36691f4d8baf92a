/**
 * The baseline `bench:ingest` compares Onramp against: a Hono endpoint that reads and parses the same JSON body
 * and answers 200 without storing anything. Served the same way as Onramp (@hono/node-server), in its own process.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono({ strict: false });
app.post('/i/v0/e', async (c) => {
  const body = JSON.parse(await c.req.text()) as { event?: unknown };
  if (typeof body.event !== 'string') return c.json({ error: { code: 'invalid_event', message: 'event: required' } }, 400);
  return c.json({ status: 1 });
});

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' }, (info) => {
  console.log(`bare listening on http://127.0.0.1:${info.port}`);
});
