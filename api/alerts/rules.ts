import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import { ApiError, invalid } from '../errors.ts';
import { DEFAULT_STEPS, DEFAULT_WINDOW, MAX_EVENT_NAME, parseWindow } from '../analytics/params.ts';

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
  window: z.string({ error: 'must be a string like 14d' }).refine((v) => parseWindow(v) !== undefined, 'must be a number followed by s, m, h, d, w or mo (e.g. 30m, 12h, 14d)'),
  range: z.enum(RANGES, { error: 'must be one of 7d, 30d, 90d' }),
  interval: z.enum(['hourly', 'daily'], { error: 'must be hourly or daily' }),
  trigger,
  webhookUrl,
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
  webhookUrl: string;
  enabled: boolean;
  /** Condition keys already alerted and not yet cleared. */
  activeConditions: string[];
  nextRunAt: number;
  lastRunAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** A row of `alert_rules` as SQL reads it (`enabled` as 0/1, JSON columns as text); shared with api/alerts/pg. */
export interface RuleRow {
  id: string;
  name: string;
  steps: string;
  window: string;
  range: string;
  interval: string;
  trigger_kind: string;
  threshold: number | null;
  trigger_step: number | null;
  webhook_url: string;
  enabled: number;
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
    enabled: row.enabled === 1,
    activeConditions: JSON.parse(row.active_conditions) as string[],
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The row that stores a rule (named parameters of the INSERT / UPDATE). */
export function ruleToRow(rule: AlertRule) {
  return {
    id: rule.id,
    name: rule.name,
    steps: JSON.stringify(rule.steps),
    window: rule.window,
    range: rule.range,
    interval: rule.interval,
    trigger_kind: rule.trigger.kind,
    threshold: rule.trigger.kind === 'conversion_below' ? rule.trigger.threshold : rule.trigger.kind === 'ttfsi_p50_above' ? rule.trigger.thresholdSeconds : null,
    trigger_step: rule.trigger.kind === 'conversion_below' ? (rule.trigger.step ?? null) : null,
    webhook_url: rule.webhookUrl,
    enabled: rule.enabled ? 1 : 0,
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

/** `active_conditions` without the keys of a bound JSON array (SQLite's json_group_array of nothing is `[]`). */
const ACTIVE_WITHOUT_KEYS = '(SELECT json_group_array(value) FROM json_each(alert_rules.active_conditions) WHERE value NOT IN (SELECT value FROM json_each(?)))';

/** Alert rule storage. All statements are prepared once; ids look like `alr_<16 hex>`. */
export function createRuleStore(sqlite: Database) {
  const insert = sqlite.prepare(
    `INSERT INTO alert_rules (id, name, steps, window, range, interval, trigger_kind, threshold, trigger_step, webhook_url, enabled,
       active_conditions, next_run_at, last_run_at, created_at, updated_at)
     VALUES (@id, @name, @steps, @window, @range, @interval, @trigger_kind, @threshold, @trigger_step, @webhook_url, @enabled,
       @active_conditions, @next_run_at, @last_run_at, @created_at, @updated_at)`,
  );
  const replace = sqlite.prepare(
    `UPDATE alert_rules SET name = @name, steps = @steps, window = @window, range = @range, interval = @interval,
       trigger_kind = @trigger_kind, threshold = @threshold, trigger_step = @trigger_step, webhook_url = @webhook_url,
       enabled = @enabled, active_conditions = @active_conditions, next_run_at = @next_run_at, updated_at = @updated_at
     WHERE id = @id`,
  );
  const byId = sqlite.prepare<[string], RuleRow>('SELECT * FROM alert_rules WHERE id = ?');
  const all = sqlite.prepare<[], RuleRow>('SELECT * FROM alert_rules ORDER BY created_at, id');
  const due = sqlite.prepare<[number], RuleRow>('SELECT * FROM alert_rules WHERE enabled = 1 AND next_run_at <= ? ORDER BY next_run_at');
  const remove = sqlite.prepare<[string]>('DELETE FROM alert_rules WHERE id = ?');
  const claim = sqlite.prepare<[number, number, string, number]>(
    'UPDATE alert_rules SET next_run_at = ?, last_run_at = ? WHERE id = ? AND enabled = 1 AND next_run_at <= ?',
  );
  const setActive = sqlite.prepare<[string, string]>('UPDATE alert_rules SET active_conditions = ? WHERE id = ?');
  const claimCondition = sqlite.prepare<[string, string, string]>(
    `UPDATE alert_rules SET active_conditions = json_insert(active_conditions, '$[#]', ?)
     WHERE id = ? AND NOT EXISTS (SELECT 1 FROM json_each(alert_rules.active_conditions) WHERE value = ?)`,
  );
  const releaseConditions = sqlite.prepare<[string, string]>(`UPDATE alert_rules SET active_conditions = ${ACTIVE_WITHOUT_KEYS} WHERE id = ?`);
  // MAX keeps last_run_at from moving back when a slow manual check finishes after a later scheduled one started.
  const checked = sqlite.prepare<[string, number, number, string]>(
    `UPDATE alert_rules SET active_conditions = ${ACTIVE_WITHOUT_KEYS}, last_run_at = MAX(COALESCE(last_run_at, ?), ?) WHERE id = ?`,
  );

  return {
    create(input: z.output<typeof createRuleSchema>, now: number): AlertRule {
      const rule = newRule(input, now);
      insert.run(ruleToRow(rule));
      return rule;
    },
    get(id: string): AlertRule | undefined {
      const row = byId.get(id);
      return row ? ruleFromRow(row) : undefined;
    },
    list(): AlertRule[] {
      return all.all().map(ruleFromRow);
    },
    /** Applies a patch. A changed funnel or trigger is a new question, so its alerted conditions are forgotten. */
    update(id: string, patch: z.output<typeof updateRuleSchema>, now: number): AlertRule | undefined {
      const current = this.get(id);
      if (!current) return undefined;
      const next = patchedRule(current, patch, now);
      replace.run(ruleToRow(next));
      return next;
    },
    delete(id: string): boolean {
      return remove.run(id).changes === 1;
    },
    due(now: number): AlertRule[] {
      return due.all(now).map(ruleFromRow);
    },
    /**
     * Takes this check for the caller: moves `next_run_at` forward only if it is still due. On several instances
     * sharing the database exactly one UPDATE succeeds, so exactly one instance fires the check.
     */
    claim(rule: AlertRule, now: number): boolean {
      return claim.run(now + INTERVAL_MS[rule.interval], now, rule.id, now).changes === 1;
    },
    setActiveConditions(id: string, keys: string[]) {
      setActive.run(JSON.stringify(keys), id);
    },
    /**
     * Marks condition `key` alerted unless it already is; `true` for the one caller that marked it. A check takes a
     * condition this way before its webhook, so a check of the same rule elsewhere (another instance) skips it.
     */
    claimCondition(id: string, key: string): boolean {
      return claimCondition.run(key, id, key).changes === 1;
    },
    /** Un-marks conditions a check took but could not deliver, so the next check tries them again. */
    releaseConditions(id: string, keys: string[]) {
      releaseConditions.run(JSON.stringify(keys), id);
    },
    /** Stores the outcome of a check run at `checkedAt` (scheduled or manual): the keys it saw clear, and `lastRunAt`. */
    recordCheck(id: string, clearedKeys: string[], checkedAt: number) {
      checked.run(JSON.stringify(clearedKeys), checkedAt, checkedAt, id);
    },
  };
}

export type RuleStore = ReturnType<typeof createRuleStore>;
