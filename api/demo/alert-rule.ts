/**
 * The demo's alert rule: a significant drop on the default funnel over the last 7 days, checked hourly, with no
 * webhook. Its first check (at start) finds the demo incident, so the delivery log shows what would have fired.
 */
import type { AlertStorage } from '../alerts/storage.ts';
import { DEFAULT_STEPS, DEFAULT_WINDOW } from '../analytics/contract.ts';

/** Name of the demo rule, as the alerts page lists it. */
export const DEMO_ALERT_RULE_NAME = 'Onboarding funnel drop (demo, log only)';

/** Adds the demo alert rule; called once, right after the demo data was loaded into an empty database. */
export async function seedDemoAlertRule(alerts: AlertStorage, now = Date.now()): Promise<void> {
  await alerts.rules.create(
    {
      name: DEMO_ALERT_RULE_NAME,
      steps: [...DEFAULT_STEPS],
      window: DEFAULT_WINDOW,
      range: '7d',
      interval: 'hourly',
      trigger: { kind: 'significant_drop' },
      webhookUrl: null,
      enabled: true,
    },
    now,
  );
}
