import type { FlagEvidence } from '../analytics/flags.ts';
import { DEFAULT_MIN_CONVERSION, parseWindow } from '../analytics/params.ts';
import { type AlertRule, RANGE_MS } from './rules.ts';
import type { AlertReports } from './storage.ts';

/** One thing that is wrong right now. `key` identifies it across checks, so it alerts once until it clears. */
export interface AlertCondition {
  key: string;
  kind: AlertRule['trigger']['kind'];
  message: string;
  /** 0-based funnel step, for step conditions. */
  step?: number;
  event?: string;
  previousRate?: number | null;
  currentRate?: number | null;
  p?: number | null;
  threshold?: number;
  /** TTFSI p50 in seconds, for ttfsi conditions. */
  value?: number | null;
  evidence?: Pick<FlagEvidence, 'topErrors' | 'lastPages'>;
}

export interface Evaluation {
  from: number;
  to: number;
  conditions: AlertCondition[];
}

const hours = (s: number) => (s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`);

/**
 * Runs the rule's report over the range ending at `now` and lists the conditions that hold, using the same analytics
 * as the reports API on the same database (so an alert always matches what the linked report shows).
 */
export async function evaluateRule(reports: AlertReports, rule: AlertRule, now: number): Promise<Evaluation> {
  const to = now;
  const from = now - RANGE_MS[rule.range];
  const trigger = rule.trigger;

  if (trigger.kind === 'ttfsi_p50_above') {
    const report = await reports.ttfsi({ from, to, start: rule.steps[0]!, end: rule.steps[rule.steps.length - 1]! });
    const p50 = report.percentiles.p50;
    const conditions: AlertCondition[] =
      p50 !== null && p50 > trigger.thresholdSeconds
        ? [
            {
              key: 'ttfsi_p50_above',
              kind: trigger.kind,
              message: `Time to first successful integration: p50 is ${hours(p50)}, above the threshold of ${hours(trigger.thresholdSeconds)} (${report.completed} completed, ${report.inProgress} in progress).`,
              value: p50,
              threshold: trigger.thresholdSeconds,
            },
          ]
        : [];
    return { from, to, conditions };
  }

  const report = await reports.funnel({
    from,
    to,
    steps: rule.steps,
    window: rule.window,
    windowMs: parseWindow(rule.window)!,
    order: 'ordered',
    breakdown: undefined,
    minConversion: trigger.kind === 'conversion_below' ? trigger.threshold : DEFAULT_MIN_CONVERSION,
  });
  const wanted = trigger.kind === 'significant_drop' ? 'significant_drop' : 'low_conversion';
  const conditions = report.flags
    .filter((f) => f.kind === wanted && (trigger.kind !== 'conversion_below' || trigger.step === undefined || f.step === trigger.step))
    .map(
      (f): AlertCondition => ({
        key: `${trigger.kind}:${f.step}:${f.event}`,
        kind: trigger.kind,
        message: f.message,
        step: f.step,
        event: f.event,
        previousRate: f.evidence.previousRate,
        currentRate: f.evidence.currentRate,
        p: f.evidence.p,
        ...(trigger.kind === 'conversion_below' ? { threshold: trigger.threshold } : {}),
        evidence: { topErrors: f.evidence.topErrors, lastPages: f.evidence.lastPages },
      }),
    );
  return { from, to, conditions };
}
