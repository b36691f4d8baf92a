import { describe, expect, it } from 'vitest';
import { type AlertRule, createRuleSchema, INTERVAL_MS } from '../../api/alerts/rules.ts';
import { alertTestBed } from './testbed.ts';

const NOW = 1_760_000_000_000;
const HOUR = INTERVAL_MS.hourly;
const DAY = INTERVAL_MS.daily;
const HOOK = 'https://hooks.example.test/onramp';

const body = (fields: Record<string, unknown> = {}) =>
  createRuleSchema.parse({ name: 'Activation', webhookUrl: HOOK, trigger: { kind: 'significant_drop' }, ...fields });

/** The alert rule and delivery stores, written once, on the project's dialect (both projects run this file). */
describe('alert rule store', () => {
  it('stores every field of a rule and reads it back as created', async () => {
    const { rules } = alertTestBed().storage;
    const inputs = [
      body(),
      body({
        name: 'Step 2 under half',
        steps: ['signed_up', 'api_key_created', 'first_successful_call'],
        window: '14d',
        range: '30d',
        interval: 'daily',
        trigger: { kind: 'conversion_below', threshold: 0.5, step: 2 },
      }),
      body({ name: 'Slow start', trigger: { kind: 'ttfsi_p50_above', thresholdSeconds: 90.5 }, enabled: false }),
      body({ name: 'Any step', trigger: { kind: 'conversion_below', threshold: 0.25 }, range: '90d' }),
    ];
    const created: AlertRule[] = [];
    for (const [i, input] of inputs.entries()) created.push(await rules.create(input, NOW + i));
    expect(created[1]).toEqual({
      ...inputs[1],
      id: expect.stringMatching(/^alr_[0-9a-f]{16}$/),
      activeConditions: [],
      nextRunAt: NOW + 1,
      lastRunAt: null,
      createdAt: NOW + 1,
      updatedAt: NOW + 1,
    });
    expect(await rules.list()).toEqual(created);
    for (const rule of created) expect(await rules.get(rule.id)).toEqual(rule);
    expect(await rules.get('alr_missing')).toBeUndefined();
    expect((await rules.get(created[2]!.id))!.trigger).toEqual({ kind: 'ttfsi_p50_above', thresholdSeconds: 90.5 });
    expect((await rules.get(created[3]!.id))!.trigger).toEqual({ kind: 'conversion_below', threshold: 0.25 });
  });

  it('lists enabled due rules oldest first, and a claim moves the check one interval on exactly once', async () => {
    const { rules } = alertTestBed().storage;
    const hourly = await rules.create(body({ name: 'hourly' }), NOW + 2);
    const daily = await rules.create(body({ name: 'daily', interval: 'daily' }), NOW + 1);
    await rules.create(body({ name: 'off', enabled: false }), NOW);
    expect((await rules.due(NOW)).map((r) => r.name)).toEqual([]);
    expect((await rules.due(NOW + 10 * DAY)).map((r) => r.name)).toEqual(['daily', 'hourly']);

    expect(await rules.claim(hourly, NOW + 5)).toBe(true);
    expect(await rules.claim(hourly, NOW + 5)).toBe(false);
    expect(await rules.claim(daily, NOW + 5)).toBe(true);
    expect(await rules.get(hourly.id)).toMatchObject({ nextRunAt: NOW + 5 + HOUR, lastRunAt: NOW + 5 });
    expect(await rules.get(daily.id)).toMatchObject({ nextRunAt: NOW + 5 + DAY, lastRunAt: NOW + 5 });
    expect((await rules.due(NOW + 5 + HOUR)).map((r) => r.name)).toEqual(['hourly']);
  });

  it('applies patches: a new name keeps alerted conditions, a new trigger forgets them, a new interval may bring the check forward', async () => {
    const { rules } = alertTestBed().storage;
    const rule = await rules.create(body({ interval: 'daily' }), NOW);
    await rules.claim(rule, NOW);
    await rules.setActiveConditions(rule.id, ['drop:1', 'below:2']);
    expect(await rules.update(rule.id, { name: 'Renamed' }, NOW + 100)).toMatchObject({
      name: 'Renamed',
      activeConditions: ['drop:1', 'below:2'],
      updatedAt: NOW + 100,
    });
    expect(await rules.update(rule.id, { interval: 'hourly' }, NOW + 200)).toMatchObject({ interval: 'hourly', nextRunAt: NOW + 200 + HOUR });
    expect(await rules.update(rule.id, { trigger: { kind: 'conversion_below', threshold: 0.4, step: 1 } }, NOW + 300)).toMatchObject({ activeConditions: [] });
    expect(await rules.update(rule.id, { enabled: false, webhookUrl: `${HOOK}/2` }, NOW + 400)).toMatchObject({ enabled: false, webhookUrl: `${HOOK}/2` });
    await expect(rules.update(rule.id, { steps: ['a', 'b'], trigger: { kind: 'conversion_below', threshold: 0.5, step: 2 } }, NOW)).rejects.toMatchObject({
      status: 400,
      message: 'trigger.step: must be below the number of steps (2)',
    });
    expect(await rules.update('alr_missing', { name: 'x' }, NOW)).toBeUndefined();
    // What is stored is what update returned; last_run_at and created_at are not the patch's to change.
    expect(await rules.get(rule.id)).toMatchObject({
      name: 'Renamed',
      interval: 'hourly',
      trigger: { kind: 'conversion_below', threshold: 0.4, step: 1 },
      enabled: false,
      webhookUrl: `${HOOK}/2`,
      activeConditions: [],
      nextRunAt: NOW + 200 + HOUR,
      lastRunAt: NOW,
      createdAt: NOW,
      updatedAt: NOW + 400,
    });
  });

  it('takes a condition once, gives back released ones, and records a check without moving lastRunAt back', async () => {
    const { rules } = alertTestBed().storage;
    const rule = await rules.create(body(), NOW);
    expect(await rules.claimCondition(rule.id, 'below:2:it\'s "quoted"')).toBe(true);
    expect(await rules.claimCondition(rule.id, 'below:2:it\'s "quoted"')).toBe(false);
    expect(await rules.claimCondition(rule.id, 'drop:1')).toBe(true);
    expect(await rules.claimCondition(rule.id, 'drop:3')).toBe(true);
    expect(await rules.claimCondition('alr_missing', 'drop:1')).toBe(false);
    expect((await rules.get(rule.id))!.activeConditions).toEqual(['below:2:it\'s "quoted"', 'drop:1', 'drop:3']);

    await rules.releaseConditions(rule.id, ['drop:1', 'never:taken']);
    expect((await rules.get(rule.id))!.activeConditions).toEqual(['below:2:it\'s "quoted"', 'drop:3']);
    expect(await rules.claimCondition(rule.id, 'drop:1')).toBe(true);

    await rules.recordCheck(rule.id, ['drop:3'], NOW + 50);
    expect(await rules.get(rule.id)).toMatchObject({ activeConditions: ['below:2:it\'s "quoted"', 'drop:1'], lastRunAt: NOW + 50 });
    await rules.recordCheck(rule.id, ['below:2:it\'s "quoted"', 'drop:1'], NOW + 20);
    expect(await rules.get(rule.id)).toMatchObject({ activeConditions: [], lastRunAt: NOW + 50 });
  });

  it('deletes a rule once, with its deliveries', async () => {
    const { rules, deliveries } = alertTestBed().storage;
    const rule = await rules.create(body(), NOW);
    const id = await deliveries.insertPending(rule.id, 'drop:1', '{}', NOW);
    expect(await rules.delete(rule.id)).toBe(true);
    expect(await rules.delete(rule.id)).toBe(false);
    expect(await rules.list()).toEqual([]);
    expect(await deliveries.list(rule.id)).toEqual([]);
    await expect(deliveries.finish(id, { status: 'delivered', attempts: 1, responseStatus: 200, error: null }, NOW)).rejects.toThrow(/does not exist/);
  });
});

describe('alert delivery store', () => {
  it('records a pending delivery, finishes it, and lists the newest first with its payload', async () => {
    const { rules, deliveries } = alertTestBed().storage;
    const rule = await rules.create(body(), NOW);
    const other = await rules.create(body(), NOW);
    const payloads = ['{"text":"drop","b":1,"a":[1.50, 2]}', '{"text":"Konversion unter 50 % — 🚨"}', '{"z":{"y":null}}'];
    const results = [
      { status: 'delivered', attempts: 1, responseStatus: 200, error: null },
      { status: 'failed', attempts: 4, responseStatus: 503, error: 'HTTP 503' },
    ] as const;
    const ids: number[] = [];
    for (const [i, payload] of payloads.entries()) ids.push(await deliveries.insertPending(rule.id, `cond:${i}`, payload, NOW + i));
    await deliveries.insertPending(other.id, 'cond:other', '{}', NOW);
    expect(ids[1]).toBeGreaterThan(ids[0]!);
    expect(await deliveries.finish(ids[0]!, results[0], NOW + 10)).toEqual({
      id: ids[0],
      ruleId: rule.id,
      condition: 'cond:0',
      status: 'delivered',
      attempts: 1,
      responseStatus: 200,
      error: null,
      payload: { text: 'drop', b: 1, a: [1.5, 2] },
      createdAt: new Date(NOW).toISOString(),
      finishedAt: new Date(NOW + 10).toISOString(),
    });
    await deliveries.finish(ids[1]!, results[1], NOW + 11);

    const log = await deliveries.list(rule.id);
    expect(log.map((d) => [d.condition, d.status, d.attempts, d.responseStatus, d.error, d.finishedAt])).toEqual([
      ['cond:2', 'pending', 0, null, null, null],
      ['cond:1', 'failed', 4, 503, 'HTTP 503', new Date(NOW + 11).toISOString()],
      ['cond:0', 'delivered', 1, 200, null, new Date(NOW + 10).toISOString()],
    ]);
    expect(log[1]!.payload).toEqual({ text: 'Konversion unter 50 % — 🚨' });
    expect((await deliveries.list(rule.id, 2)).map((d) => d.condition)).toEqual(['cond:2', 'cond:1']);
    expect(await deliveries.list('alr_missing')).toEqual([]);
  });
});
