import { ApiError } from '../errors.ts';
import { type DeliveryOptions, type DeliveryResult, deliverWebhook } from './deliver.ts';
import type { DeliveryRecord } from './delivery-store.ts';
import { type AlertCondition, evaluateRule } from './evaluate.ts';
import { alertMessage, reportLink } from './message.ts';
import type { AlertRule } from './rules.ts';
import type { AlertStorage } from './storage.ts';

export interface AlertRunnerOptions {
  /** Public base URL of Onramp, for the report link in messages. */
  baseUrl: string;
  now?: () => number;
  delivery?: DeliveryOptions;
  /** How often the scheduler looks for due rules (default 30 s). */
  tickMs?: number;
  log?: (line: string) => void;
  /** Applies acknowledged events before a check reads them (the writer's ingest log); see api/ingest/writer.ts. */
  settle?: () => Promise<void>;
}

export interface CheckResult {
  ruleId: string;
  checkedAt: string;
  /** Every condition that holds now. */
  conditions: AlertCondition[];
  /** Keys newly alerted by this check (delivered). */
  alerted: string[];
  /** Keys that held before and no longer do; they may alert again later. */
  cleared: string[];
  deliveries: DeliveryRecord[];
}

const noop = () => {};
/** The check of each rule running in this process, per storage, so the next check of that rule waits for it. */
const checksInProgress = new WeakMap<AlertStorage, Map<string, Promise<CheckResult>>>();
const deletedRule = (id: string): never => {
  throw deletedDuringCheck(id);
};

/** A check whose rule was deleted meanwhile (its delivery rows cannot be written or were removed with it). */
function deletedDuringCheck(id: string): ApiError {
  return new ApiError(404, 'not_found', `id: alert rule ${JSON.stringify(id)} was deleted while it was being checked`);
}

/**
 * Checks alert rules and delivers their webhooks, on SQLite or PostgreSQL alike (only `storage` differs). `check`
 * runs one rule now; `runDue` runs every due rule this instance manages to claim (so several instances on one
 * database fire each check once); `start` runs `runDue` on a timer. A condition alerts when it first holds, stays
 * quiet while it keeps holding, and may alert again once a check has seen it clear. A failed delivery leaves the
 * condition un-alerted, so the next check retries.
 */
export function createAlertRunner(storage: AlertStorage, options: AlertRunnerOptions) {
  const now = options.now ?? Date.now;
  const { rules, deliveries } = storage;
  const log = options.log ?? ((line: string) => console.log(line));

  // Shared by every runner on this storage: the scheduler's and the one behind "Check now" are separate instances.
  const inProgress = checksInProgress.get(storage) ?? new Map<string, Promise<CheckResult>>();
  checksInProgress.set(storage, inProgress);

  /**
   * Checks `rule` as of `at` and records the outcome, `lastRunAt` included (a manual check counts as a run). Checks
   * of one rule take turns in this process: a "Check now" during the scheduled check (or the reverse) starts from the
   * conditions the first one recorded, so one new condition is never alerted twice.
   */
  function check(rule: AlertRule, at = now()): Promise<CheckResult> {
    const previous = inProgress.get(rule.id);
    const run = previous ? previous.then(noop, noop).then(async () => checkOnce((await rules.get(rule.id)) ?? deletedRule(rule.id), at)) : checkOnce(rule, at);
    inProgress.set(rule.id, run);
    const forget = () => {
      if (inProgress.get(rule.id) === run) inProgress.delete(rule.id);
    };
    run.then(forget, forget);
    return run;
  }

  async function checkOnce(rule: AlertRule, at: number): Promise<CheckResult> {
    await options.settle?.();
    const evaluation = await evaluateRule(storage.reports, rule, at);
    const current = new Map(evaluation.conditions.map((c) => [c.key, c]));
    const active = new Set(rule.activeConditions);
    const cleared = [...active].filter((key) => !current.has(key));
    const link = reportLink(options.baseUrl, rule);
    const alerted: string[] = [];
    const records: DeliveryRecord[] = [];
    let taken: string | undefined;
    try {
      for (const condition of evaluation.conditions) {
        if (active.has(condition.key)) continue;
        // Taken in the database before the webhook: a check of this rule on another instance (a "Check now" there
        // during this scheduled check) finds it taken and stays quiet.
        if (!(await rules.claimCondition(rule.id, condition.key))) continue;
        taken = condition.key;
        const payload = alertMessage(rule, condition, evaluation, link);
        const id = await deliveries.insertPending(rule.id, condition.key, JSON.stringify(payload), now());
        const result: DeliveryResult =
          rule.webhookUrl === null
            ? { status: 'would_fire', attempts: 0, responseStatus: null, error: null }
            : await deliverWebhook(rule.webhookUrl, payload, options.delivery);
        records.push(await deliveries.finish(id, result, now()));
        taken = undefined;
        if (result.status === 'delivered' || result.status === 'would_fire') alerted.push(condition.key);
        else {
          await rules.releaseConditions(rule.id, [condition.key]);
          log(`[onramp] alert ${rule.id} (${rule.name}): webhook delivery failed after ${result.attempts} attempts: ${result.error}`);
        }
      }
      await rules.recordCheck(rule.id, cleared, at);
    } catch (err) {
      // A condition taken but not delivered must not stay marked alerted, or it would never alert.
      if (taken !== undefined) await rules.releaseConditions(rule.id, [taken]).catch(noop);
      throw (await rules.get(rule.id)) ? err : deletedDuringCheck(rule.id);
    }
    // Deleted while a webhook was in flight: the deliveries went with the rule (cascade), so nothing is left to report.
    if (!(await rules.get(rule.id))) throw deletedDuringCheck(rule.id);
    return { ruleId: rule.id, checkedAt: new Date(at).toISOString(), conditions: evaluation.conditions, alerted, cleared, deliveries: records };
  }

  let running: Promise<void> | undefined;
  async function runDue(): Promise<CheckResult[]> {
    const at = now();
    const results: CheckResult[] = [];
    // Claimed one at a time, just before its check: while this instance is busy with a slow webhook, another
    // instance can take the rules still waiting.
    for (const rule of await rules.due(at)) {
      try {
        if (!(await rules.claim(rule, at))) continue;
        results.push(await check(rule, at));
      } catch (err) {
        log(`[onramp] alert ${rule.id} (${rule.name}): check failed: ${(err as Error).message}`);
      }
    }
    return results;
  }

  let timer: NodeJS.Timeout | undefined;
  return {
    rules,
    check,
    runDue,
    deliveries(ruleId: string, limit = 100): Promise<DeliveryRecord[]> {
      return deliveries.list(ruleId, limit);
    },
    /** Starts the in-process scheduler; overlapping ticks are skipped rather than stacked. */
    start() {
      if (timer) return;
      const tick = () => {
        if (running) return;
        running = runDue()
          .then(() => undefined)
          .catch((err: Error) => log(`[onramp] alert scheduler: ${err.message}`))
          .finally(() => (running = undefined));
      };
      timer = setInterval(tick, options.tickMs ?? 30_000);
      timer.unref();
      setImmediate(tick);
    },
    /** Stops the timer and waits for a check in progress. */
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

export type AlertRunner = ReturnType<typeof createAlertRunner>;

/** Base URL for links in alert messages: ONRAMP_PUBLIC_URL when set, else the address the server listens on. */
export function publicBaseUrl(env: { ONRAMP_PUBLIC_URL?: string | undefined; HOST?: string | undefined; PORT?: number | undefined }): string {
  if (env.ONRAMP_PUBLIC_URL) return env.ONRAMP_PUBLIC_URL.replace(/\/+$/, '');
  const host = env.HOST && env.HOST !== '0.0.0.0' && env.HOST !== '::' ? env.HOST : '127.0.0.1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${env.PORT ?? 8787}`;
}
