/**
 * The alert runner on several instances sharing one PostgreSQL database (two pools): each due check fires once and
 * each new condition alerts once however the checks of two instances interleave. The single-instance behaviour is in
 * test/alerts, which runs on both dialects.
 */
import { describe, expect, it } from 'vitest';
import { createRuleSchema } from '../../api/alerts/rules.ts';
import { type CheckResult, createAlertRunner } from '../../api/alerts/runner.ts';
import { pgStorage } from '../../api/storage/postgres.ts';
import { type OnrampPgDb, openPgDb } from '../../db/client-pg.ts';
import { alertsApi, conversionRule, developerEvents, LOCAL_RECEIVERS, useReceivers } from '../alerts/support.ts';
import { storePgEvents } from '../support/pg-test-db.ts';
import { usePostgres } from '../support/postgres.ts';

const NOW = Date.UTC(2026, 10, 20, 12);
const HOUR = 3_600_000;
const DAY = 86_400_000;
const CONDITION = 'conversion_below:2:first_successful_call';

const cluster = usePostgres();

const receiver = useReceivers();

/** A pool on `url` (a fresh database unless given), closed after the test. */
async function pgInstance(url?: string): Promise<{ db: OnrampPgDb; url: string }> {
  const databaseUrl = url ?? (await cluster.server().createDatabase());
  const db = await openPgDb(databaseUrl);
  cluster.onCleanup(() => db.close());
  return { db, url: databaseUrl };
}

/** The alert storage an instance on `db` runs with. */
const alertsOn = (db: OnrampPgDb) => pgStorage(db).alerts;

/** Two instances (one pool each) on one fresh database of developers converting below the rule's 50 %, and a receiver. */
async function twoInstancesBelowThreshold() {
  const first = await pgInstance();
  const second = await pgInstance(first.url);
  await storePgEvents(first.db, developerEvents('a', 40, 10, NOW - 3 * DAY));
  return { first: first.db, second: second.db, r: await receiver() };
}

describe('alert scheduler on PostgreSQL', () => {
  it('two runners on one database (two pools) fire each due check exactly once over many ticks', async () => {
    const { first, second, r } = await twoInstancesBelowThreshold();
    const clock = { now: NOW };
    const options = { baseUrl: 'http://x', now: () => clock.now, delivery: { baseDelayMs: 5, ...LOCAL_RECEIVERS }, log: () => {} };
    const runners = [createAlertRunner(alertsOn(first), options), createAlertRunner(alertsOn(second), options)];
    const intervals = ['hourly', 'daily', 'hourly', 'hourly', 'daily', 'hourly'] as const;
    const names = new Map<string, string>();
    for (const [i, interval] of intervals.entries()) {
      const rule = await runners[i % 2]!.rules.create(createRuleSchema.parse({ ...conversionRule(r.url), name: `rule ${i}`, interval }), NOW);
      names.set(rule.id, `rule ${i}`);
    }

    const fired: string[] = [];
    const expected: string[] = [];
    const ticks = 50;
    for (let tick = 0; tick < ticks; tick += 1) {
      // Each runner ticks twice at once, so the same rows are contended within a pool as well as across pools.
      const results: CheckResult[][] = await Promise.all([0, 1, 0, 1].map((i) => runners[i]!.runDue()));
      for (const result of results.flat()) fired.push(`${tick}:${names.get(result.ruleId)}`);
      for (const [i, interval] of intervals.entries()) if ((tick * HOUR) % (interval === 'daily' ? DAY : HOUR) === 0) expected.push(`${tick}:rule ${i}`);
      clock.now += HOUR;
    }
    expect(fired.sort()).toEqual(expected.sort());
    // 4 hourly rules × 50 ticks + 2 daily rules × 3 days.
    expect(fired).toHaveLength(4 * ticks + 2 * 3);
    // The condition held from the first check on: one message per rule, never repeated.
    expect(r.bodies.map((b) => b.text.match(/"(rule \d)"/)?.[1]).sort()).toEqual(intervals.map((_x, i) => `rule ${i}`));
    for (const id of names.keys()) {
      const rule = await runners[0]!.rules.get(id);
      expect(rule).toMatchObject({ activeConditions: [CONDITION], lastRunAt: rule!.interval === 'hourly' ? NOW + (ticks - 1) * HOUR : NOW + 2 * DAY });
    }
  });

  it('a Check now on one instance during the scheduled check on another alerts a new condition once', async () => {
    const { first, second, r } = await twoInstancesBelowThreshold();
    const clock = { now: NOW };
    const scheduler = createAlertRunner(alertsOn(first), { baseUrl: 'http://x', now: () => clock.now, delivery: LOCAL_RECEIVERS, log: () => {} });
    // Another instance's API: its own pool and storage, so the two checks do not take turns in one process.
    const api = alertsApi(alertsOn(second), clock);
    const id = (await api('POST', '/', conversionRule(r.url))).body.id as string;
    let checkNow: Promise<{ status: number; body: Record<string, any> }> | undefined;
    // The manual check runs from start to end while the scheduled one waits on its webhook.
    r.beforeAnswer = async () => {
      if (checkNow) return;
      checkNow = api('POST', `/${id}/check`);
      await checkNow;
    };

    const [result] = await scheduler.runDue();
    const now = await checkNow!;
    expect(result!.alerted).toEqual([CONDITION]);
    expect(now.status).toBe(200);
    expect(now.body.conditions).toHaveLength(1);
    expect(now.body.alerted).toEqual([]);
    expect(r.hits).toBe(1);
    expect(await scheduler.rules.get(id)).toMatchObject({ activeConditions: [CONDITION] });
  });

  it('two instances checking the same rule at the same moment send one webhook', async () => {
    const { first, second, r } = await twoInstancesBelowThreshold();
    const options = { baseUrl: 'http://x', now: () => NOW, delivery: LOCAL_RECEIVERS, log: () => {} };
    const runners = [createAlertRunner(alertsOn(first), options), createAlertRunner(alertsOn(second), options)];
    const rule = await runners[0]!.rules.create(createRuleSchema.parse(conversionRule(r.url)), NOW);
    // Both evaluate from the same rule row (nothing alerted yet) and race to take the condition.
    const results = await Promise.all(runners.map((runner) => runner.check(rule)));
    expect(results.map((result) => result.conditions.length)).toEqual([1, 1]);
    expect(results.flatMap((result) => result.alerted)).toEqual([CONDITION]);
    expect(r.hits).toBe(1);
  });
});
