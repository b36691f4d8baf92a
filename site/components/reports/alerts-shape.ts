/**
 * Pure shaping for the alerts page: the JSON of `/api/v1/alerts`, the form draft ↔ request body, table rows and
 * which form field an API validation message names. No React, no fetch, so it is unit-tested directly.
 */
import { formatDuration, formatPercent, formatUtc } from './format.ts';
import { DEFAULT_STEPS, DEFAULT_WINDOW, MAX_STEPS, MIN_STEPS } from './query.ts';

export type AlertTriggerJson =
  | { kind: 'significant_drop' }
  | { kind: 'conversion_below'; threshold: number; step?: number }
  | { kind: 'ttfsi_p50_above'; thresholdSeconds: number };

export type TriggerKind = AlertTriggerJson['kind'];

/** One rule as `GET /api/v1/alerts` returns it (dates are ISO strings). */
export interface AlertRuleJson {
  id: string;
  name: string;
  steps: string[];
  window: string;
  range: '7d' | '30d' | '90d';
  interval: 'hourly' | 'daily';
  trigger: AlertTriggerJson;
  webhookUrl: string;
  enabled: boolean;
  activeConditions: string[];
  nextRunAt: string | null;
  lastRunAt: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface AlertRulesResponse {
  rules: AlertRuleJson[];
}

/** One webhook delivery from `GET /api/v1/alerts/:id/deliveries`. */
export interface AlertDeliveryJson {
  id: number;
  ruleId: string;
  condition: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  responseStatus: number | null;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface AlertDeliveriesResponse {
  deliveries: AlertDeliveryJson[];
}

/** `POST /api/v1/alerts/:id/check`. */
export interface AlertCheckResponse {
  ruleId: string;
  checkedAt: string;
  conditions: Array<{ key: string; kind: TriggerKind; message: string }>;
  alerted: string[];
  cleared: string[];
  deliveries: AlertDeliveryJson[];
}

export const TRIGGER_CHOICES: ReadonlyArray<{ value: TriggerKind; label: string }> = [
  { value: 'significant_drop', label: 'Significant drop on any step' },
  { value: 'conversion_below', label: 'Step conversion below a threshold' },
  { value: 'ttfsi_p50_above', label: 'TTFSI p50 above a threshold' },
];

export const DURATION_UNITS = { minutes: 60, hours: 3600, days: 86_400 } as const;
export type DurationUnit = keyof typeof DURATION_UNITS;

/** What the form edits: strings as typed, so a half-typed number is never lost or coerced. */
export interface RuleDraft {
  name: string;
  steps: string[];
  window: string;
  range: AlertRuleJson['range'];
  interval: AlertRuleJson['interval'];
  triggerKind: TriggerKind;
  /** Percent (0–100] for conversion_below. */
  conversionPercent: string;
  /** 1-based step index as shown in the form; empty = any step. */
  conversionStep: string;
  ttfsiValue: string;
  ttfsiUnit: DurationUnit;
  webhookUrl: string;
  enabled: boolean;
}

/** A new rule's starting point: the default activation funnel. */
export function emptyDraft(): RuleDraft {
  return {
    name: '',
    steps: [...DEFAULT_STEPS],
    window: DEFAULT_WINDOW,
    range: '7d',
    interval: 'hourly',
    triggerKind: 'significant_drop',
    conversionPercent: '',
    conversionStep: '',
    ttfsiValue: '',
    ttfsiUnit: 'hours',
    webhookUrl: '',
    enabled: true,
  };
}

/**
 * A new rule pre-filled from the funnel page's "Alert me when this funnel drops" link (`?new=1&steps=a,b,c&window=14d`),
 * or null when the page was not opened from it. Steps outside 2–10 names are ignored, as the funnel page would.
 */
export function draftFromFunnelLink(search: string): RuleDraft | null {
  const params = new URLSearchParams(search);
  if (params.get('new') !== '1') return null;
  const draft = emptyDraft();
  const steps = (params.get('steps') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (steps.length >= MIN_STEPS && steps.length <= MAX_STEPS) draft.steps = steps;
  const window = params.get('window')?.trim();
  if (window) draft.window = window;
  draft.name = `Drop from ${draft.steps[0]} to ${draft.steps[draft.steps.length - 1]}`;
  return draft;
}

/** The largest unit that divides the seconds evenly, so 7200 s edits as "2 hours", not "120 minutes". */
function splitSeconds(seconds: number): { value: string; unit: DurationUnit } {
  for (const unit of ['days', 'hours', 'minutes'] as const) {
    if (seconds >= DURATION_UNITS[unit] && seconds % DURATION_UNITS[unit] === 0) return { value: String(seconds / DURATION_UNITS[unit]), unit };
  }
  return { value: String(Number((seconds / 60).toFixed(4))), unit: 'minutes' };
}

/** The form state for editing an existing rule. */
export function draftFromRule(rule: AlertRuleJson): RuleDraft {
  const draft: RuleDraft = {
    ...emptyDraft(),
    name: rule.name,
    steps: [...rule.steps],
    window: rule.window,
    range: rule.range,
    interval: rule.interval,
    triggerKind: rule.trigger.kind,
    webhookUrl: rule.webhookUrl,
    enabled: rule.enabled,
  };
  if (rule.trigger.kind === 'conversion_below') {
    draft.conversionPercent = String(Number((rule.trigger.threshold * 100).toFixed(4)));
    // The API counts steps from 0 (step 0 has no conversion); the form shows them from 1 like the funnel page.
    draft.conversionStep = rule.trigger.step === undefined ? '' : String(rule.trigger.step + 1);
  } else if (rule.trigger.kind === 'ttfsi_p50_above') {
    const { value, unit } = splitSeconds(rule.trigger.thresholdSeconds);
    draft.ttfsiValue = value;
    draft.ttfsiUnit = unit;
  }
  return draft;
}

/**
 * A blank or non-numeric entry becomes `null`, so the API answers with its own message naming the field instead
 * of the page inventing one; a number is passed through as typed and the API checks its range.
 */
function numberOrNull(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/** The JSON body for `POST /api/v1/alerts` or `PATCH /api/v1/alerts/:id` (all fields: a full replace). */
export function ruleBody(draft: RuleDraft): Record<string, unknown> {
  let trigger: Record<string, unknown> = { kind: draft.triggerKind };
  if (draft.triggerKind === 'conversion_below') {
    const percent = numberOrNull(draft.conversionPercent);
    const step = numberOrNull(draft.conversionStep);
    trigger = {
      kind: 'conversion_below',
      threshold: percent === null ? null : Number((percent / 100).toPrecision(12)),
      ...(step === null ? {} : { step: step - 1 }),
    };
  } else if (draft.triggerKind === 'ttfsi_p50_above') {
    const value = numberOrNull(draft.ttfsiValue);
    trigger = { kind: 'ttfsi_p50_above', thresholdSeconds: value === null ? null : value * DURATION_UNITS[draft.ttfsiUnit] };
  }
  return {
    name: draft.name,
    steps: draft.steps.map((s) => s.trim()).filter((s) => s !== ''),
    window: draft.window.trim(),
    range: draft.range,
    interval: draft.interval,
    trigger,
    webhookUrl: draft.webhookUrl.trim(),
    enabled: draft.enabled,
  };
}

export type DraftField = 'name' | 'steps' | 'window' | 'range' | 'interval' | 'trigger' | 'threshold' | 'step' | 'webhookUrl' | 'enabled';

/**
 * Which form field an API message is about. Validation messages start with the field path
 * (`webhookUrl: must be …`, `trigger.threshold: …`, `steps[1]: …`), see api/errors.ts describeIssues. Null when the
 * message names no form field, or several.
 */
export function fieldOfMessage(message: string): DraftField | null {
  // Several issues (`a: …; b: …`) belong to no single field: the whole message goes above the buttons.
  if (/; [A-Za-z_][\w.[\]]*: /.test(message)) return null;
  const path = /^([A-Za-z_][\w.[\]]*):/.exec(message)?.[1];
  if (!path) return null;
  if (path === 'trigger.threshold' || path === 'trigger.thresholdSeconds') return 'threshold';
  if (path === 'trigger.step') return 'step';
  if (path.startsWith('trigger')) return 'trigger';
  const head = path.replace(/[.[].*$/, '');
  const known: readonly DraftField[] = ['name', 'steps', 'window', 'range', 'interval', 'webhookUrl', 'enabled'];
  return (known as readonly string[]).includes(head) ? (head as DraftField) : null;
}

/** Human text for a trigger, with the step named when the rule watches one. */
export function describeTrigger(trigger: AlertTriggerJson, steps: readonly string[]): string {
  if (trigger.kind === 'significant_drop') return 'Significant drop on any step';
  if (trigger.kind === 'ttfsi_p50_above') return `TTFSI p50 above ${formatDuration(trigger.thresholdSeconds)}`;
  const where = trigger.step === undefined ? 'any step' : `step ${trigger.step + 1} (${steps[trigger.step] ?? '?'})`;
  return `Conversion below ${formatPercent(trigger.threshold)} at ${where}`;
}

/** Last known state of a rule, from its alerted-and-not-cleared conditions and whether it ran yet. */
export function ruleState(rule: Pick<AlertRuleJson, 'enabled' | 'lastRunAt' | 'activeConditions'>): { label: string; tone: 'alerting' | 'ok' | 'idle' } {
  if (rule.activeConditions.length > 0) {
    const n = rule.activeConditions.length;
    return { label: `Alerting (${n} condition${n === 1 ? '' : 's'})`, tone: 'alerting' };
  }
  if (!rule.enabled) return { label: 'Paused', tone: 'idle' };
  if (rule.lastRunAt === null) return { label: 'Not checked yet', tone: 'idle' };
  return { label: 'OK', tone: 'ok' };
}

/** A rules-table row: display text and CSV values are the same strings. */
export interface RuleRow {
  id: string;
  name: string;
  steps: string;
  window: string;
  range: string;
  interval: string;
  trigger: string;
  webhookUrl: string;
  enabled: boolean;
  state: string;
  tone: 'alerting' | 'ok' | 'idle';
  lastCheck: string;
  nextCheck: string;
  rule: AlertRuleJson;
}

export function ruleRows(rules: readonly AlertRuleJson[]): RuleRow[] {
  return rules.map((rule) => {
    const state = ruleState(rule);
    return {
      id: rule.id,
      name: rule.name,
      steps: rule.steps.join(' → '),
      window: rule.window,
      range: rule.range,
      interval: rule.interval,
      trigger: describeTrigger(rule.trigger, rule.steps),
      webhookUrl: rule.webhookUrl,
      enabled: rule.enabled,
      state: state.label,
      tone: state.tone,
      lastCheck: rule.lastRunAt ? formatUtc(rule.lastRunAt) : 'never',
      nextCheck: rule.enabled && rule.nextRunAt ? formatUtc(rule.nextRunAt) : '—',
      rule,
    };
  });
}

/** One line on what a manual check found, e.g. "2 conditions hold; 1 alert sent; 0 cleared." */
export function checkSummary(result: AlertCheckResponse): string {
  const n = result.conditions.length;
  const failed = result.deliveries.filter((d) => d.status === 'failed').length;
  const parts = [
    n === 0 ? 'No condition holds' : `${n} condition${n === 1 ? ' holds' : 's hold'}`,
    `${result.alerted.length} alert${result.alerted.length === 1 ? '' : 's'} sent`,
    ...(failed > 0 ? [`${failed} deliver${failed === 1 ? 'y' : 'ies'} failed`] : []),
    `${result.cleared.length} cleared`,
  ];
  return `${parts.join('; ')}.`;
}
