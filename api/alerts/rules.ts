import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_STEPS, DEFAULT_WINDOW, MAX_EVENT_NAME, parseWindow } from '../analytics/params.ts';
import { ApiError, invalid } from '../errors.ts';
import { asBoolean } from '../storage/sql/interface.ts';

export const INTERVAL_MS = { hourly: 3_600_000, daily: 86_400_000 } as const;
export type AlertInterval = keyof typeof INTERVAL_MS;
export const RANGES = ['7d', '30d', '90d'] as const;
export type AlertRange = (typeof RANGES)[number];
export const RANGE_MS: Record<AlertRange, number> = { '7d': 7 * 86_400_000, '30d': 30 * 86_400_000, '90d': 90 * 86_400_000 };

/**
 * Webhook targets must be plain http(s) URLs without credentials; anything else is refused when the rule is saved,
 * not discovered at 3 a.m. when the first alert fails.
 */
export const webhookUrl = z
  .string({ error: 'must be a URL string' })
  .trim()
  .max(2000, 'must be at most 2000 characters')
  .refine((value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '' && url.username === '' && url.password === '';
  }, 'must be an absolute http(s) URL without credentials, e.g. https://hooks.slack.com/services/…');

const stepName = z.string().trim().min(1, 'must not be empty').max(MAX_EVENT_NAME, `must be at most ${MAX_EVENT_NAME} characters`);

const trigger = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('significant_drop') }),
    z.object({
      kind: z.literal('conversion_below'),
      threshold: z.number({ error: 'must be a number between 0 and 1' }).gt(0, 'must be above 0').max(1, 'must be at most 1'),
      step: z.number({ error: 'must be a step index' }).int('must be a whole number').min(1, 'must be at least 1 (step 0 has no conversion)').optional(),
    }),
    z.object({
      kind: z.literal('ttfsi_p50_above'),
      thresholdSeconds: z.number({ error: 'must be a number of seconds' }).positive('must be positive'),
    }),
  ],
  { error: 'must be one of significant_drop, conversion_below, ttfsi_p50_above' },
);

const ruleFields = {
  name: z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  steps: z.array(stepName, { error: 'must be an array of event names' }).min(2, 'must list at least 2 steps').max(10, 'must list at most 10 steps'),
  window: z
    .string({ error: 'must be a string like 14d' })
    .refine((v) => parseWindow(v) !== undefined, 'must be a number followed by s, m, h, d, w or mo (e.g. 30m, 12h, 14d)'),
  range: z.enum(RANGES, { error: 'must be one of 7d, 30d, 90d' }),
  interval: z.enum(['hourly', 'daily'], { error: 'must be hourly or daily' }),
  trigger,
  webhookUrl: webhookUrl.nullable(),
  enabled: z.boolean({ error: 'must be true or false' }),
};

/** Body of `POST /api/v1/alerts`. */
export const createRuleSchema = z.object({
  ...ruleFields,
  steps: ruleFields.steps.default([...DEFAULT_STEPS]),
  window: ruleFields.window.default(DEFAULT_WINDOW),
  range: ruleFields.range.default('7d'),
  interval: ruleFields.interval.default('hourly'),
  enabled: ruleFields.enabled.default(true),
  webhookUrl: ruleFields.webhookUrl.default(null),
});

/** Body of `PATCH /api/v1/alerts/:id`: any subset of the fields. */
export const updateRuleSchema = z.object(ruleFields).partial();

export type AlertTrigger = z.infer<typeof trigger>;

export interface AlertRule {
  id: string;
  name: string;
  steps: string[];
  window: string;
  range: AlertRange;
  interval: AlertInterval;
  trigger: AlertTrigger;
  /** Null: log only; each check records what would have fired instead of POSTing it. */
  webhookUrl: string | null;
  enabled: boolean;
  /** Condition keys already alerted and not yet cleared. */
  activeConditions: string[];
  nextRunAt: number;
  lastRunAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * A row of `alert_rules` as either database returns it: JSON columns as text, times as numbers, `enabled` as 0/1
 * (SQLite) or a boolean (PostgreSQL).
 */
export interface RuleRow extends Record<string, unknown> {
  id: string;
  name: string;
  steps: string;
  window: string;
  range: string;
  interval: string;
  trigger_kind: string;
  threshold: number | null;
  trigger_step: number | null;
  webhook_url: string | null;
  enabled: unknown;
  active_conditions: string;
  next_run_at: number;
  last_run_at: number | null;
  created_at: number;
  updated_at: number;
}

function triggerOf(row: RuleRow): AlertTrigger {
  if (row.trigger_kind === 'conversion_below') {
    return { kind: 'conversion_below', threshold: row.threshold ?? 0, ...(row.trigger_step !== null ? { step: row.trigger_step } : {}) };
  }
  if (row.trigger_kind === 'ttfsi_p50_above') return { kind: 'ttfsi_p50_above', thresholdSeconds: row.threshold ?? 0 };
  return { kind: 'significant_drop' };
}

/** The rule a stored row describes. */
export function ruleFromRow(row: RuleRow): AlertRule {
  return {
    id: row.id,
    name: row.name,
    steps: JSON.parse(row.steps) as string[],
    window: row.window,
    range: row.range as AlertRange,
    interval: row.interval as AlertInterval,
    trigger: triggerOf(row),
    webhookUrl: row.webhook_url,
    enabled: asBoolean(row.enabled),
    activeConditions: JSON.parse(row.active_conditions) as string[],
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The column values that store a rule (`enabled` as a boolean: each dialect binds it as its column wants). */
export function ruleToRow(rule: AlertRule) {
  return {
    id: rule.id,
    name: rule.name,
    steps: JSON.stringify(rule.steps),
    window: rule.window,
    range: rule.range,
    interval: rule.interval,
    trigger_kind: rule.trigger.kind,
    threshold:
      rule.trigger.kind === 'conversion_below' ? rule.trigger.threshold : rule.trigger.kind === 'ttfsi_p50_above' ? rule.trigger.thresholdSeconds : null,
    trigger_step: rule.trigger.kind === 'conversion_below' ? (rule.trigger.step ?? null) : null,
    webhook_url: rule.webhookUrl,
    enabled: rule.enabled,
    active_conditions: JSON.stringify(rule.activeConditions),
    next_run_at: rule.nextRunAt,
    last_run_at: rule.lastRunAt,
    created_at: rule.createdAt,
    updated_at: rule.updatedAt,
  };
}

/** Parses a request body with a schema, turning issues into a 400 that names the field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) invalid(parsed.error.issues);
  return parsed.data;
}

function checkTriggerStep(rule: Pick<AlertRule, 'steps' | 'trigger'>) {
  if (rule.trigger.kind === 'conversion_below' && rule.trigger.step !== undefined && rule.trigger.step >= rule.steps.length) {
    throw new ApiError(400, 'invalid_request', `trigger.step: must be below the number of steps (${rule.steps.length})`);
  }
}

/** A new rule from a validated body, due at once; throws a 400 for a trigger step past the last step. */
export function newRule(input: z.output<typeof createRuleSchema>, now: number): AlertRule {
  checkTriggerStep(input);
  return { ...input, id: `alr_${randomBytes(8).toString('hex')}`, activeConditions: [], nextRunAt: now, lastRunAt: null, createdAt: now, updatedAt: now };
}

/** `current` with a patch applied. A changed funnel or trigger is a new question, so its alerted conditions are forgotten. */
export function patchedRule(current: AlertRule, patch: z.output<typeof updateRuleSchema>, now: number): AlertRule {
  const next: AlertRule = { ...current, ...patch, updatedAt: now };
  checkTriggerStep(next);
  const question = (r: AlertRule) => JSON.stringify([r.steps, r.window, r.range, r.trigger]);
  if (question(next) !== question(current)) next.activeConditions = [];
  if (patch.interval && patch.interval !== current.interval) next.nextRunAt = Math.min(current.nextRunAt, now + INTERVAL_MS[patch.interval]);
  return next;
}
