import { Hono } from 'hono';
import type { OnrampDb } from '../../db/client.ts';
import { ApiError } from '../errors.ts';
import { createRuleSchema, parseBody, updateRuleSchema, type AlertRule } from './rules.ts';
import { createAlertRunner, type AlertRunnerOptions } from './runner.ts';

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

function notFound(id: string): never {
  throw new ApiError(404, 'not_found', `id: no alert rule ${JSON.stringify(id)}`);
}

/**
 * `/api/v1/alerts` (admin-protected in app.ts): CRUD for alert rules, their delivery log, and `POST /:id/check`
 * to run a check now (what the scheduler does when the rule is due).
 */
export function alertRoutes(deps: { db: OnrampDb; runner?: AlertRunnerOptions }) {
  const runner = createAlertRunner(deps.db.$client, deps.runner ?? { baseUrl: 'http://127.0.0.1:8787' });
  const now = deps.runner?.now ?? Date.now;
  const app = new Hono({ strict: false });

  app.get('/', (c) => c.json({ rules: runner.rules.list().map(ruleJson) }));

  app.post('/', async (c) => {
    const input = parseBody(createRuleSchema, await jsonBody(c.req));
    return c.json(ruleJson(runner.rules.create(input, now())), 201);
  });

  app.get('/:id', (c) => {
    const rule = runner.rules.get(c.req.param('id'));
    return rule ? c.json(ruleJson(rule)) : notFound(c.req.param('id'));
  });

  app.patch('/:id', async (c) => {
    const patch = parseBody(updateRuleSchema, await jsonBody(c.req));
    const rule = runner.rules.update(c.req.param('id'), patch, now());
    return rule ? c.json(ruleJson(rule)) : notFound(c.req.param('id'));
  });

  app.delete('/:id', (c) => (runner.rules.delete(c.req.param('id')) ? c.body(null, 204) : notFound(c.req.param('id'))));

  app.get('/:id/deliveries', (c) => {
    if (!runner.rules.get(c.req.param('id'))) notFound(c.req.param('id'));
    return c.json({ deliveries: runner.deliveries(c.req.param('id')) });
  });

  app.post('/:id/check', async (c) => {
    const rule = runner.rules.get(c.req.param('id'));
    if (!rule) notFound(c.req.param('id'));
    return c.json(await runner.check(rule));
  });

  return app;
}
