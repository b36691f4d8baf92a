import { describe, expect, it } from 'vitest';
import { createRuleSchema } from '../../api/alerts/rules.ts';
import { createAlertRunner } from '../../api/alerts/runner.ts';
import { DEMO_ALERT_RULE_NAME, seedDemoAlertRule } from '../../api/demo/alert-rule.ts';
import { testApp } from '../support/app.ts';
import {
  alertsApi,
  conversionRule,
  developerEvents,
  expectCheckNowRecordsLastRun,
  expectRetriedDelivery,
  LOCAL_RECEIVERS,
  successEvents,
  useReceivers,
} from './support.ts';
import { alertTestBed, twoInstances } from './testbed.ts';

const NOW = Date.UTC(2026, 10, 20, 12);
const HOUR = 3_600_000;
const DAY = 86_400_000;

const CONDITION = 'conversion_below:2:first_successful_call';

const receiver = useReceivers();

/** The alert routes on a fresh database of the project's dialect, and a way to add events to it. */
function alertsOnFreshDatabase(clock: { now: number }) {
  const bed = alertTestBed();
  return { ...bed, api: alertsApi(bed.storage, clock) };
}

describe('alert rules API', () => {
  it('needs the admin token', async () => {
    const { app } = testApp();
    expect((await app.request('/api/v1/alerts')).status).toBe(401);
  });

  it.each([
    ['not a url', 'webhookUrl'],
    ['ftp://hooks.example/x', 'webhookUrl'],
    ['https://user:secret@hooks.example/x', 'webhookUrl'],
    ['/relative/path', 'webhookUrl'],
  ])('rejects the webhook URL %j when the rule is saved', async (url, field) => {
    const { api } = alertsOnFreshDatabase({ now: NOW });
    const res = await api('POST', '/', conversionRule(url));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(new RegExp(`^${field}:`));
    expect((await api('GET', '/')).body.rules).toHaveLength(0);
  });

  it('validates the trigger and steps, naming the field', async () => {
    const { api } = alertsOnFreshDatabase({ now: NOW });
    const r = await receiver();
    expect((await api('POST', '/', { ...conversionRule(r.url), trigger: { kind: 'conversion_below', threshold: 2 } })).body.error.message).toMatch(
      /^trigger\.threshold:/,
    );
    expect((await api('POST', '/', { ...conversionRule(r.url), trigger: { kind: 'sometimes' } })).body.error.message).toMatch(/^trigger/);
    expect((await api('POST', '/', { ...conversionRule(r.url), steps: ['only'] })).body.error.message).toMatch(/^steps:/);
    expect((await api('POST', '/', { ...conversionRule(r.url), interval: 'weekly' })).body.error.message).toMatch(/^interval:/);
    expect((await api('POST', '/', { ...conversionRule(r.url), trigger: { kind: 'conversion_below', threshold: 0.5, step: 3 } })).body.error.message).toMatch(
      /^trigger\.step:/,
    );
  });

  it('creates, reads, updates and deletes a rule', async () => {
    const { api } = alertsOnFreshDatabase({ now: NOW });
    const r = await receiver();
    const created = await api('POST', '/', conversionRule(r.url));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^alr_/),
      interval: 'hourly',
      trigger: { kind: 'conversion_below', threshold: 0.5, step: 2 },
      enabled: true,
    });
    const id = created.body.id as string;
    expect((await api('PATCH', `/${id}`, { interval: 'daily', enabled: false })).body).toMatchObject({ interval: 'daily', enabled: false });
    expect((await api('GET', `/${id}`)).body.interval).toBe('daily');
    expect((await api('PATCH', `/${id}`, { webhookUrl: 'gopher://x' })).status).toBe(400);
    expect((await api('DELETE', `/${id}`)).status).toBe(204);
    expect((await api('GET', `/${id}`)).status).toBe(404);
  });
});

/** 10 of 40 developers made a first call, and a rule (alerting below 50 %) posting to a fresh receiver. */
async function conversionRuleThatFires() {
  const clock = { now: NOW };
  const { api, addEvents, storage } = alertsOnFreshDatabase(clock);
  const r = await receiver();
  await addEvents(developerEvents('a', 40, 10, NOW - 3 * DAY));
  const id = (await api('POST', '/', conversionRule(r.url))).body.id as string;
  return { addEvents, storage, clock, api, r, id };
}

describe('alert checks and delivery', () => {
  it('alerts once, stays quiet while the condition holds, and alerts again after it clears', async () => {
    const { addEvents, clock, api, r, id } = await conversionRuleThatFires();

    const first = await api('POST', `/${id}/check`);
    expect(first.body.alerted).toEqual(['conversion_below:2:first_successful_call']);
    expect(r.bodies).toHaveLength(1);
    const message = r.bodies[0]!;
    expect(message.text).toMatch(/First call conversion/);
    expect(message.text).toContain('25.0%');
    expect(message.text).toContain('https://onramp.example/reports/?range=7d&steps=signed_up%2Capi_key_created%2Cfirst_successful_call&window=14d');
    expect(JSON.stringify(message.blocks)).toContain('invalid_api_key');
    expect(JSON.stringify(message.blocks)).toContain('first_successful_call');

    clock.now += HOUR;
    const second = await api('POST', `/${id}/check`);
    expect(second.body.conditions).toHaveLength(1);
    expect(second.body.alerted).toEqual([]);
    expect(r.bodies).toHaveLength(1);

    await addEvents(successEvents('a', 10, 30, NOW - 2 * DAY));
    clock.now += HOUR;
    const cleared = await api('POST', `/${id}/check`);
    expect(cleared.body.conditions).toEqual([]);
    expect(cleared.body.cleared).toEqual(['conversion_below:2:first_successful_call']);
    expect(r.bodies).toHaveLength(1);

    await addEvents(developerEvents('b', 60, 0, NOW - DAY));
    clock.now += HOUR;
    const again = await api('POST', `/${id}/check`);
    expect(again.body.alerted).toEqual(['conversion_below:2:first_successful_call']);
    expect(r.bodies).toHaveLength(2);

    const deliveries = (await api('GET', `/${id}/deliveries`)).body.deliveries as Array<Record<string, unknown>>;
    expect(deliveries.map((d) => [d.status, d.condition, d.attempts, d.responseStatus])).toEqual([
      ['delivered', CONDITION, 1, 200],
      ['delivered', CONDITION, 1, 200],
    ]);
  });

  it('answers 404, not a 500, when the rule is deleted while its webhook is in flight', async () => {
    const { api, r, id } = await conversionRuleThatFires();
    r.beforeAnswer = () => api('DELETE', `/${id}`);

    const check = await api('POST', `/${id}/check`);
    expect(check.status).toBe(404);
    expect(check.body).toEqual({ error: { code: 'not_found', message: expect.stringContaining('deleted while it was being checked') } });
    expect(r.hits).toBe(1);
    expect((await api('GET', `/${id}`)).status).toBe(404);
  });

  it('a Check now during the scheduled check of the same rule does not alert the same condition twice', async () => {
    const { storage, clock, api, r, id } = await conversionRuleThatFires();
    const scheduler = createAlertRunner(storage, { baseUrl: 'http://x', now: () => clock.now, delivery: LOCAL_RECEIVERS, log: () => {} });
    let manual: Promise<{ status: number; body: Record<string, unknown> }> | undefined;
    // The manual check arrives while the scheduled one waits on its webhook.
    r.beforeAnswer = async () => {
      manual ??= api('POST', `/${id}/check`);
    };

    const [scheduled] = await scheduler.runDue();
    const now = await manual!;
    expect(scheduled!.alerted).toEqual(['conversion_below:2:first_successful_call']);
    expect(now.status).toBe(200);
    expect(now.body.alerted).toEqual([]);
    expect(r.hits).toBe(1);
  });

  it('Check now records lastRunAt and leaves the schedule alone', async () => {
    const clock = { now: NOW };
    await expectCheckNowRecordsLastRun(alertsOnFreshDatabase(clock).api, clock, await receiver());
  });

  it('retries a 500 with backoff and records the delivery; gives up after the last attempt and retries on the next check', async () => {
    const clock = { now: NOW };
    const { api, addEvents } = alertsOnFreshDatabase(clock);
    await addEvents(developerEvents('a', 40, 5, NOW - 3 * DAY));
    await expectRetriedDelivery(api, clock, await receiver());
  });

  it('does not retry a 4xx other than 429', async () => {
    const { api, addEvents } = alertsOnFreshDatabase({ now: NOW });
    const r = await receiver();
    await addEvents(developerEvents('a', 40, 5, NOW - 3 * DAY));
    const id = (await api('POST', '/', conversionRule(r.url))).body.id as string;
    r.respond = [404];
    const res = await api('POST', `/${id}/check`);
    expect(res.body.deliveries[0]).toMatchObject({ status: 'failed', attempts: 1, responseStatus: 404 });
  });

  it('flags the demo data incident as a significant drop, with its evidence', async () => {
    const { api, seedDemo } = alertsOnFreshDatabase({ now: NOW });
    await seedDemo({ now: NOW, developers: 1200 });
    const r = await receiver();
    const id = (await api('POST', '/', { ...conversionRule(r.url), name: 'Drop watch', trigger: { kind: 'significant_drop' } })).body.id as string;
    const res = await api('POST', `/${id}/check`);
    expect(res.body.alerted).toContain('significant_drop:2:first_successful_call');
    const body = r.bodies.find((b) => b.text.includes('first_successful_call'))!;
    expect(body.text).toMatch(/p = /);
    expect(JSON.stringify(body.blocks)).toContain('invalid_api_key');
  });

  it('the demo’s log-only rule records the incident as would have fired, sending nothing', async () => {
    const { api, seedDemo, storage } = alertsOnFreshDatabase({ now: NOW });
    await seedDemo({ now: NOW, developers: 1200 });
    await seedDemoAlertRule(storage, NOW);
    const [rule] = (await api('GET', '/')).body.rules as Array<{ id: string; name: string; webhookUrl: string | null; enabled: boolean }>;
    expect(rule).toMatchObject({ name: DEMO_ALERT_RULE_NAME, webhookUrl: null, enabled: true });
    const check = await api('POST', `/${rule!.id}/check`);
    expect(check.body.alerted).toContain('significant_drop:2:first_successful_call');
    const log = (await api('GET', `/${rule!.id}/deliveries`)).body.deliveries as Array<{ status: string; attempts: number; payload: { text: string } }>;
    expect(log.map((d) => d.status)).toEqual(log.map(() => 'would_fire'));
    expect(log.find((d) => d.payload.text.includes('first_successful_call'))).toMatchObject({ attempts: 0 });
    // Alerted once: the next check stays quiet while the incident holds.
    expect((await api('POST', `/${rule!.id}/check`)).body.alerted).toEqual([]);
  });

  it('creates a rule without a webhook, and can add one later', async () => {
    const { api } = alertsOnFreshDatabase({ now: NOW });
    const { webhookUrl: _none, ...withoutWebhook } = conversionRule('https://hooks.example/x');
    const created = await api('POST', '/', withoutWebhook);
    expect(created.status).toBe(201);
    expect(created.body.webhookUrl).toBeNull();
    const patched = await api('PATCH', `/${created.body.id}`, { webhookUrl: 'https://hooks.example/y' });
    expect(patched.body.webhookUrl).toBe('https://hooks.example/y');
    expect((await api('PATCH', `/${created.body.id}`, { webhookUrl: null })).body.webhookUrl).toBeNull();
  });

  it('alerts when the TTFSI p50 is above its threshold', async () => {
    const { api, addEvents } = alertsOnFreshDatabase({ now: NOW });
    const r = await receiver();
    await addEvents(developerEvents('a', 10, 10, NOW - 3 * DAY));
    const base = { ...conversionRule(r.url), name: 'Slow onboarding' };
    // Every developer takes 120 s from signing up to the first successful call.
    const slow = (await api('POST', '/', { ...base, trigger: { kind: 'ttfsi_p50_above', thresholdSeconds: 60 } })).body.id as string;
    const fast = (await api('POST', '/', { ...base, trigger: { kind: 'ttfsi_p50_above', thresholdSeconds: 600 } })).body.id as string;
    expect((await api('POST', `/${slow}/check`)).body).toMatchObject({ alerted: ['ttfsi_p50_above'], conditions: [{ value: 120 }] });
    expect((await api('POST', `/${fast}/check`)).body.alerted).toEqual([]);
    expect(r.bodies[0]!.text).toContain('/reports/ttfsi/');
  });
});

describe('alert scheduler', () => {
  it('fires each due check on exactly one of several instances sharing the database', async () => {
    const [first, second] = await twoInstances();
    const r = await receiver();
    await first.addEvents(developerEvents('a', 40, 10, NOW - 3 * DAY));
    const clock = { now: NOW };
    const options = { baseUrl: 'http://x', now: () => clock.now, delivery: { baseDelayMs: 5, ...LOCAL_RECEIVERS }, log: () => {} };
    const a = createAlertRunner(first.storage, options);
    const b = createAlertRunner(second.storage, options);
    const rule = await a.rules.create(createRuleSchema.parse({ ...conversionRule(r.url), trigger: { kind: 'conversion_below', threshold: 0.5 } }), NOW);

    const [ra, rb] = await Promise.all([a.runDue(), b.runDue()]);
    expect(ra.length + rb.length).toBe(1);
    expect(r.bodies).toHaveLength(1);

    // Not due again until the interval has passed.
    clock.now += HOUR / 2;
    expect([...(await a.runDue()), ...(await b.runDue())]).toHaveLength(0);
    clock.now += HOUR / 2;
    const next = [...(await b.runDue()), ...(await a.runDue())];
    expect(next).toHaveLength(1);
    expect(next[0]!.alerted).toEqual([]);
    expect((await b.rules.get(rule.id))!.lastRunAt).toBe(NOW + HOUR);

    // The timer-driven scheduler runs due rules by itself.
    clock.now += HOUR;
    b.start();
    for (let waited = 0; (await b.rules.get(rule.id))!.lastRunAt !== NOW + 2 * HOUR && waited < 5000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await b.stop();
    expect(await b.rules.get(rule.id)).toMatchObject({ lastRunAt: NOW + 2 * HOUR, nextRunAt: NOW + 3 * HOUR, activeConditions: [CONDITION] });
  });

  it('a condition whose webhook failed is not left marked alerted: the next check retries it', async () => {
    const { api, r, id } = await conversionRuleThatFires();
    r.respond = [500, 500, 500];
    expect((await api('POST', `/${id}/check`)).body.alerted).toEqual([]);
    expect((await api('GET', `/${id}`)).body.activeConditions).toEqual([]);
    expect((await api('POST', `/${id}/check`)).body.alerted).toEqual([CONDITION]);
    expect((await api('GET', `/${id}`)).body.activeConditions).toEqual([CONDITION]);
  });
});
