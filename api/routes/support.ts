import { Hono } from 'hono';
import { z } from 'zod';
import { invalid } from '../errors.ts';
import { newId } from '../portal/ids.ts';
import { PORTAL_LIMITS } from '../portal/rate-limit.ts';
import { readJsonObject } from '../portal/request.ts';
import { type PortalVariables, requireSession } from '../portal/sessions.ts';
import { enforce, type PortalDeps } from './auth.ts';

/** Topics offered by the "Contact support" form; kept small so reports can group by them. */
export const SUPPORT_TOPICS = ['first_call', 'api_keys', 'errors', 'rate_limits', 'docs', 'account', 'other'] as const;

const ticketSchema = z.object({
  topic: z.enum(SUPPORT_TOPICS, { error: `must be one of ${SUPPORT_TOPICS.join(', ')}` }),
  path: z
    .string({ error: 'must be a string' })
    .max(500, 'must be at most 500 characters')
    .regex(/^\/[^\s]*$/, 'must be a site path starting with /')
    .default('/support/'),
  message: z.string({ error: 'is required and must be a string' }).trim().min(1, 'must not be empty').max(5000, 'must be at most 5000 characters'),
});

/** `POST /support` (mounted under `/api/v1/portal`): stores a ticket and emits `support_ticket_created`. */
export function supportRoutes(deps: PortalDeps) {
  const { portal } = deps;
  const app = new Hono<{ Variables: PortalVariables }>({ strict: false });

  app.post('/support', requireSession(portal), async (c) => {
    const account = c.get('account');
    await enforce(portal, `support:account:${account.id}`, PORTAL_LIMITS.supportPerAccount, 'support');
    const parsed = ticketSchema.safeParse(await readJsonObject(c));
    if (!parsed.success) invalid(parsed.error.issues);
    const now = Date.now();
    const ticket = { id: newId.ticket(), accountId: account.id, ...parsed.data, createdAt: now };
    await portal.createSupportTicket(ticket);
    deps.telemetry.capture(account.id, { event: 'support_ticket_created', properties: { topic: ticket.topic, path: ticket.path } });
    return c.json({ ticket: { id: ticket.id, topic: ticket.topic, path: ticket.path, created_at: new Date(now).toISOString() } }, 201);
  });

  return app;
}
