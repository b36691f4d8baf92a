import { Hono } from 'hono';
import { z } from 'zod';
import { ApiError, invalid } from '../errors.ts';
import { clientAddress } from '../middleware/client-address.ts';
import { sha256Hex } from '../portal/ids.ts';
import { PORTAL_LIMITS } from '../portal/rate-limit.ts';
import { readJsonObject } from '../portal/request.ts';
import { type PortalVariables, requireSession } from '../portal/sessions.ts';
import { enforce, type PortalDeps } from './auth.ts';

const createSchema = z.object({
  name: z.string({ error: 'is required and must be a string' }).trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
});

const callsQuery = z.object({
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
});

/**
 * Session-only routes over the developer's own keys and calls (mounted under `/api/v1/portal`):
 * `GET/POST /keys`, `DELETE /keys/:id`, `GET /calls`. Every query is filtered by the session's account id.
 */
export function keysRoutes(deps: PortalDeps) {
  const { portal } = deps;
  const app = new Hono<{ Variables: PortalVariables }>({ strict: false });
  const session = requireSession(portal);

  app.get('/keys', session, async (c) => c.json({ keys: await portal.listKeys(c.get('account').id) }));

  app.post('/keys', session, async (c) => {
    const account = c.get('account');
    await enforce(portal, `key_create:ip:${sha256Hex(clientAddress(c))}`, PORTAL_LIMITS.keyCreatePerIp, 'keys');
    await enforce(portal, `key_create:account:${account.id}`, PORTAL_LIMITS.keyCreatePerAccount, 'keys');
    const parsed = createSchema.safeParse(await readJsonObject(c));
    if (!parsed.success) invalid(parsed.error.issues);
    const { key, secret } = await portal.createKey(account.id, parsed.data.name);
    deps.telemetry.capture(account.id, { event: 'api_key_created', properties: { key_prefix: key.prefix, name: key.name } });
    // The only response that ever carries the secret; the database keeps its sha256.
    return c.json({ key, secret }, 201);
  });

  app.delete('/keys/:id', session, async (c) => {
    const account = c.get('account');
    const result = await portal.revokeKey(account.id, c.req.param('id'));
    if (!result) throw new ApiError(404, 'not_found', `id: no API key ${JSON.stringify(c.req.param('id').slice(0, 64))} in your account`);
    if (result.changed) deps.telemetry.capture(account.id, { event: 'api_key_revoked', properties: { key_prefix: result.key.prefix } });
    return c.json({ key: result.key });
  });

  app.get('/calls', session, async (c) => {
    const parsed = callsQuery.safeParse(c.req.query());
    if (!parsed.success) invalid(parsed.error.issues);
    return c.json({ calls: await portal.recentCalls(c.get('account').id, parsed.data.limit) });
  });

  return app;
}
