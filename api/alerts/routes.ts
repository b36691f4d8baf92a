import { Hono } from 'hono';
import { ApiError } from '../errors.ts';
import { limitBody, MAX_ALERT_BODY_BYTES } from '../middleware/body-limit.ts';
import { type AlertRule, createRuleSchema, parseBody, updateRuleSchema } from './rules.ts';
import { type AlertRunnerOptions, createAlertRunner } from './runner.ts';
import type { AlertStorage } from './storage.ts';
import { checkWebhookTarget, type WebhookTargetPolicy } from './webhook-target.ts';

function ruleJson(rule: AlertRule) {
  const { nextRunAt, lastRunAt, createdAt, updatedAt, ...rest } = rule;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return { ...rest, nextRunAt: iso(nextRunAt), lastRunAt: iso(lastRunAt), createdAt: iso(createdAt), updatedAt: iso(updatedAt) };
}

async function jsonBody(req: { json: () => Promise<unknown> }): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    throw new ApiError(400, 'invalid_request', 'body: must be valid JSON');
  }
}

/**
 * Refuses a webhook URL whose host is (or resolves to) an address the server must not POST to, when the rule is
 * saved. A name that does not resolve now is accepted: each delivery resolves and checks it again before connecting.
 */
async function checkWebhookUrl(url: string | null | undefined, policy: WebhookTargetPolicy): Promise<void> {
  if (url === undefined || url === null) return;
  const checked = await checkWebhookTarget(new URL(url), policy);
  if (!checked.ok && checked.reason === 'private') {
    throw new ApiError(
      400,
      'invalid_request',
      'webhookUrl: must not point to a loopback, private, link-local, metadata or other non-public address (set ONRAMP_ALERTS_ALLOW_PRIVATE_WEBHOOKS=1 for a receiver on your own network)',
    );
  }
}

function notFound(id: string): never {
  throw new ApiError(404, 'not_found', `id: no alert rule ${JSON.stringify(id)}`);
}

/**
 * `/api/v1/alerts` (admin-protected in app.ts): CRUD for alert rules, their delivery log, and `POST /:id/check`
 * to run a check now (what the scheduler does when the rule is due; it sets `lastRunAt` too; 409 `rule_disabled` for
 * a disabled rule). `alerts` is the storage of either database (api/alerts/storage.ts). Webhook URLs are checked
 * against `runner.delivery` (the private-target policy) when saved, and again at each delivery.
 */
export function alertRoutes(deps: { alerts: AlertStorage; runner?: AlertRunnerOptions }) {
  const runner = createAlertRunner(deps.alerts, deps.runner ?? { baseUrl: 'http://127.0.0.1:8787' });
  const rules = deps.alerts.rules;
  const now = deps.runner?.now ?? Date.now;
  const app = new Hono({ strict: false });
  app.use('*', limitBody(MAX_ALERT_BODY_BYTES));
  const ruleOr404 = async (id: string) => (await rules.get(id)) ?? notFound(id);
  const targetPolicy: WebhookTargetPolicy = deps.runner?.delivery ?? {};

  app.get('/', async (c) => c.json({ rules: (await rules.list()).map(ruleJson) }));

  app.post('/', async (c) => {
    const input = parseBody(createRuleSchema, await jsonBody(c.req));
    await checkWebhookUrl(input.webhookUrl, targetPolicy);
    return c.json(ruleJson(await rules.create(input, now())), 201);
  });

  app.get('/:id', async (c) => c.json(ruleJson(await ruleOr404(c.req.param('id')))));

  app.patch('/:id', async (c) => {
    const patch = parseBody(updateRuleSchema, await jsonBody(c.req));
    await checkWebhookUrl(patch.webhookUrl, targetPolicy);
    const rule = await rules.update(c.req.param('id'), patch, now());
    return rule ? c.json(ruleJson(rule)) : notFound(c.req.param('id'));
  });

  app.delete('/:id', async (c) => ((await rules.delete(c.req.param('id'))) ? c.body(null, 204) : notFound(c.req.param('id'))));

  app.get('/:id/deliveries', async (c) => {
    const rule = await ruleOr404(c.req.param('id'));
    return c.json({ deliveries: await runner.deliveries(rule.id) });
  });

  app.post('/:id/check', async (c) => {
    const rule = await ruleOr404(c.req.param('id'));
    // A disabled rule is off on purpose: checking it now would send the alerts its owner switched off.
    if (!rule.enabled) throw new ApiError(409, 'rule_disabled', `enabled: alert rule ${JSON.stringify(rule.id)} is disabled; enable it before checking it`);
    return c.json(await runner.check(rule));
  });

  return app;
}
