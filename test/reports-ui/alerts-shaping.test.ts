/** Alerts page shaping: form draft ↔ API body, field of an API message, table rows, check summary. */
import { describe, expect, it } from 'vitest';
import { createRuleSchema } from '../../api/alerts/rules.ts';
import {
  type AlertRuleJson,
  checkSummary,
  describeTrigger,
  draftFromRule,
  emptyDraft,
  fieldOfMessage,
  ruleBody,
  ruleRows,
  ruleState,
} from '../../site/components/reports/alerts-shape.ts';
import { toCsv } from '../../site/components/reports/csv.ts';

function rule(overrides: Partial<AlertRuleJson> = {}): AlertRuleJson {
  return {
    id: 'alr_0123456789abcdef',
    name: 'Key drop',
    steps: ['signed_up', 'api_key_created', 'first_successful_call'],
    window: '14d',
    range: '7d',
    interval: 'hourly',
    trigger: { kind: 'significant_drop' },
    webhookUrl: 'https://hooks.example.com/services/T000/B000/XXXX',
    enabled: true,
    activeConditions: [],
    nextRunAt: '2026-11-23T22:00:00.000Z',
    lastRunAt: null,
    createdAt: '2026-11-23T21:00:00.000Z',
    updatedAt: '2026-11-23T21:00:00.000Z',
    ...overrides,
  };
}

describe('ruleBody', () => {
  it('turns the default draft into a body the API schema accepts as is', () => {
    const body = ruleBody({ ...emptyDraft(), name: 'Activation', webhookUrl: ' https://hooks.example.com/x ' });
    const parsed = createRuleSchema.safeParse(body);
    expect(parsed.success).toBe(true);
    expect(body).toMatchObject({
      steps: ['signed_up', 'api_key_created', 'first_successful_call'],
      window: '14d',
      interval: 'hourly',
      trigger: { kind: 'significant_drop' },
      webhookUrl: 'https://hooks.example.com/x',
    });
  });

  it('sends a conversion threshold typed in percent as a fraction and the 1-based step as the API’s 0-based index', () => {
    const body = ruleBody({
      ...emptyDraft(),
      name: 'x',
      webhookUrl: 'https://h.example/x',
      triggerKind: 'conversion_below',
      conversionPercent: '35',
      conversionStep: '2',
    });
    expect(body.trigger).toEqual({ kind: 'conversion_below', threshold: 0.35, step: 1 });
    expect(createRuleSchema.safeParse(body).success).toBe(true);
    const anyStep = ruleBody({ ...emptyDraft(), triggerKind: 'conversion_below', conversionPercent: '7.5' });
    expect(anyStep.trigger).toEqual({ kind: 'conversion_below', threshold: 0.075 });
  });

  it('sends a TTFSI threshold in seconds from the chosen unit', () => {
    expect(ruleBody({ ...emptyDraft(), triggerKind: 'ttfsi_p50_above', ttfsiValue: '2', ttfsiUnit: 'hours' }).trigger).toEqual({
      kind: 'ttfsi_p50_above',
      thresholdSeconds: 7200,
    });
    expect(ruleBody({ ...emptyDraft(), triggerKind: 'ttfsi_p50_above', ttfsiValue: '1.5', ttfsiUnit: 'days' }).trigger).toEqual({
      kind: 'ttfsi_p50_above',
      thresholdSeconds: 129_600,
    });
  });

  it('leaves a blank or non-numeric threshold as null so the API rejects it naming the field', () => {
    const body = ruleBody({ ...emptyDraft(), name: 'x', webhookUrl: 'https://h.example/x', triggerKind: 'conversion_below', conversionPercent: 'abc' });
    expect(body.trigger).toEqual({ kind: 'conversion_below', threshold: null });
    const parsed = createRuleSchema.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.path).toEqual(['trigger', 'threshold']);
  });

  it('drops blank step rows and trims names', () => {
    expect(ruleBody({ ...emptyDraft(), steps: [' signed_up ', '', 'api_call'] }).steps).toEqual(['signed_up', 'api_call']);
  });
});

describe('draftFromRule', () => {
  it('round-trips each trigger kind through the form', () => {
    const rules = [
      rule(),
      rule({ trigger: { kind: 'conversion_below', threshold: 0.4, step: 2 }, interval: 'daily', range: '30d', enabled: false }),
      rule({ trigger: { kind: 'conversion_below', threshold: 0.125 } }),
      rule({ trigger: { kind: 'ttfsi_p50_above', thresholdSeconds: 172_800 } }),
      rule({ trigger: { kind: 'ttfsi_p50_above', thresholdSeconds: 90 } }),
    ];
    for (const r of rules) {
      const body = ruleBody(draftFromRule(r));
      expect(body).toEqual({
        name: r.name,
        steps: r.steps,
        window: r.window,
        range: r.range,
        interval: r.interval,
        trigger: r.trigger,
        webhookUrl: r.webhookUrl,
        enabled: r.enabled,
      });
    }
    expect(draftFromRule(rules[3]!)).toMatchObject({ ttfsiValue: '2', ttfsiUnit: 'days' });
    expect(draftFromRule(rules[1]!)).toMatchObject({ conversionPercent: '40', conversionStep: '3' });
  });
});

describe('fieldOfMessage', () => {
  it('maps API validation messages to the form field they name', () => {
    expect(fieldOfMessage('webhookUrl: must be an absolute http(s) URL without credentials, e.g. https://hooks.slack.com/services/…')).toBe('webhookUrl');
    expect(fieldOfMessage('trigger.threshold: must be at most 1')).toBe('threshold');
    expect(fieldOfMessage('trigger.thresholdSeconds: must be positive')).toBe('threshold');
    expect(fieldOfMessage('trigger.step: must be below the number of steps (3)')).toBe('step');
    expect(fieldOfMessage('trigger: must be one of significant_drop, conversion_below, ttfsi_p50_above')).toBe('trigger');
    expect(fieldOfMessage('steps[1]: must not be empty')).toBe('steps');
    expect(fieldOfMessage('steps: must list at least 2 steps')).toBe('steps');
  });

  it('returns null for messages that name no form field, or several', () => {
    expect(fieldOfMessage('name: must not be empty; webhookUrl: must be a URL string')).toBeNull();
    expect(fieldOfMessage('body: must be valid JSON')).toBeNull();
    expect(fieldOfMessage('Could not reach the Onramp server.')).toBeNull();
    expect(fieldOfMessage('id: no alert rule "alr_x"')).toBeNull();
  });
});

describe('rows and states', () => {
  it('describes triggers with the watched step named', () => {
    expect(describeTrigger({ kind: 'significant_drop' }, [])).toBe('Significant drop on any step');
    expect(describeTrigger({ kind: 'conversion_below', threshold: 0.3, step: 1 }, ['signed_up', 'api_key_created'])).toBe(
      'Conversion below 30.0% at step 2 (api_key_created)',
    );
    expect(describeTrigger({ kind: 'conversion_below', threshold: 0.3 }, ['a', 'b'])).toBe('Conversion below 30.0% at any step');
    expect(describeTrigger({ kind: 'ttfsi_p50_above', thresholdSeconds: 7200 }, [])).toBe('TTFSI p50 above 2 h');
  });

  it('reports alerting, ok, paused and never-checked states', () => {
    expect(ruleState(rule({ activeConditions: ['drop:1', 'drop:2'], lastRunAt: '2026-11-23T21:00:00Z' }))).toEqual({
      label: 'Alerting (2 conditions)',
      tone: 'alerting',
    });
    expect(ruleState(rule({ lastRunAt: '2026-11-23T21:00:00Z' }))).toEqual({ label: 'OK', tone: 'ok' });
    expect(ruleState(rule({ enabled: false }))).toEqual({ label: 'Paused', tone: 'idle' });
    expect(ruleState(rule())).toEqual({ label: 'Not checked yet', tone: 'idle' });
  });

  it('shapes table rows whose CSV keeps a hostile rule name inert', () => {
    const [row] = ruleRows([rule({ name: '=HYPERLINK("http://evil")', lastRunAt: '2026-11-23T21:05:00.000Z' })]);
    expect(row).toMatchObject({
      steps: 'signed_up → api_key_created → first_successful_call',
      lastCheck: '2026-11-23 21:05 UTC',
      nextCheck: '2026-11-23 22:00 UTC',
      state: 'OK',
    });
    const csv = toCsv([{ header: 'name', value: (r: typeof row) => r!.name }], [row]);
    expect(csv).toBe('name\r\n"\'=HYPERLINK(""http://evil"")"\r\n');
    expect(ruleRows([rule({ enabled: false })])[0]!.nextCheck).toBe('—');
  });

  it('summarises a manual check', () => {
    const base = { ruleId: 'alr_x', checkedAt: '2026-11-23T21:00:00Z', cleared: [] as string[] };
    expect(checkSummary({ ...base, conditions: [], alerted: [], deliveries: [] })).toBe('No condition holds; 0 alerts sent; 0 cleared.');
    const delivery = { id: 1, ruleId: 'alr_x', condition: 'c', attempts: 4, responseStatus: 500, error: 'HTTP 500', createdAt: '', finishedAt: null };
    expect(
      checkSummary({
        ...base,
        cleared: ['old'],
        conditions: [
          { key: 'a', kind: 'significant_drop', message: 'a' },
          { key: 'b', kind: 'significant_drop', message: 'b' },
        ],
        alerted: ['a'],
        deliveries: [
          { ...delivery, status: 'delivered' },
          { ...delivery, id: 2, status: 'failed' },
        ],
      }),
    ).toBe('2 conditions hold; 1 alert sent; 1 delivery failed; 1 cleared.');
  });
});
