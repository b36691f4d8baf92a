/**
 * The alert runner and routes on PostgreSQL: the same checks as test/alerts/alerts.test.ts, over events written by
 * the PostgreSQL ingest store, delivering to a real local webhook receiver; the messages match the SQLite ones.
 */
import { describe, expect, it } from 'vitest';
import { pgAlertStorage } from '../../api/alerts/pg/storage.ts';
import { createAlertRunner, type CheckResult } from '../../api/alerts/runner.ts';
import { createRuleSchema } from '../../api/alerts/rules.ts';
import { sqliteAlertStorage } from '../../api/alerts/storage.ts';
import { createEventStore } from '../../api/ingest/store.ts';
import { writeEvents } from '../../api/ingest/store.ts';
import { postgresDatabase } from '../../api/storage/sql/postgres.ts';
import type { NormalizedEvent } from '../../api/ingest/validate.ts';
import { openPgDb, type OnrampPgDb } from '../../db/client-pg.ts';
import { testDb } from '../support/app.ts';
import { usePostgres } from '../support/postgres.ts';
import { alertsApi, conversionRule, developerEvents, expectCheckNowRecordsLastRun, expectRetriedDelivery, useReceivers, successEvents } from '../alerts/support.ts';

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

/** Stores events through the PostgreSQL ingest store, in one transaction as the log processor does. */
async function addPgEvents(db: OnrampPgDb, events: NormalizedEvent[]) {
  const client = await db.$client.connect();
  try {
    await client.query('BEGIN');
    await writeEvents(postgresDatabase(db.$client, client), [events]);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

/** Two instances (one pool each) on one fresh database of developers converting below the rule's 50 %, and a receiver. */
async function twoInstancesBelowThreshold() {
  const first = await pgInstance();
  const second = await pgInstance(first.url);
  await addPgEvents(first.db, developerEvents('a', 40, 10, NOW - 3 * DAY));
  return { first: first.db, second: second.db, r: await receiver() };
}

describe('alert checks on PostgreSQL', () => {
  it('alerts once, stays quiet while the condition holds, alerts again after it clears, with the messages SQLite sends', async () => {
    const { db } = await pgInstance();
    const sqlite = testDb();
    cluster.onCleanup(async () => void sqlite.$client.close());
    const [pgHook, sqliteHook] = [await receiver(), await receiver()];
    const clock = { now: NOW };
    const pgApi = alertsApi(pgAlertStorage(db), clock);
    const sqliteApi = alertsApi(sqliteAlertStorage(sqlite.$client), clock);
    /** The same events into both databases. */
    const add = async (events: NormalizedEvent[]) => {
      await addPgEvents(db, events);
      createEventStore(sqlite.$client).writeBatches([events]);
    };
    const pgId = (await pgApi('POST', '/', conversionRule(pgHook.url))).body.id as string;
    const sqliteId = (await sqliteApi('POST', '/', conversionRule(sqliteHook.url))).body.id as string;
    /** Checks the rule on both; expects the same result (rule ids and delivery times aside) and returns PostgreSQL's. */
    const check = async () => {
      const [pg, lite] = [(await pgApi('POST', `/${pgId}/check`)).body, (await sqliteApi('POST', `/${sqliteId}/check`)).body];
      const comparable = (result: Record<string, unknown>) => ({ ...result, ruleId: undefined, deliveries: undefined });
      expect(comparable(pg)).toEqual(comparable(lite));
      return pg;
    };

    await add(developerEvents('a', 40, 10, NOW - 3 * DAY));
    const first = await check();
    expect(first.alerted).toEqual([CONDITION]);
    expect(first.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 1, responseStatus: 200, condition: CONDITION });
    expect(pgHook.bodies).toHaveLength(1);
    expect(pgHook.bodies[0]!.text).toContain('25.0%');
    expect(JSON.stringify(pgHook.bodies[0]!.blocks)).toContain('invalid_api_key');
    expect(pgHook.bodies).toEqual(sqliteHook.bodies);

    clock.now += HOUR;
    const second = await check();
    expect(second.conditions).toHaveLength(1);
    expect(second.alerted).toEqual([]);
    expect(pgHook.hits).toBe(1);

    await add(successEvents('a', 10, 30, NOW - 2 * DAY));
    clock.now += HOUR;
    const cleared = await check();
    expect(cleared.conditions).toEqual([]);
    expect(cleared.cleared).toEqual([CONDITION]);
    expect(pgHook.hits).toBe(1);

    await add(developerEvents('b', 60, 0, NOW - DAY));
    clock.now += HOUR;
    expect((await check()).alerted).toEqual([CONDITION]);
    expect(pgHook.bodies).toHaveLength(2);
    expect(pgHook.bodies).toEqual(sqliteHook.bodies);
    const log = (await pgApi('GET', `/${pgId}/deliveries`)).body.deliveries as Array<Record<string, unknown>>;
    expect(log.map((d) => [d.status, d.condition])).toEqual([
      ['delivered', CONDITION],
      ['delivered', CONDITION],
    ]);
  });

  it('alerts on the TTFSI p50 from the PostgreSQL report', async () => {
    const { db } = await pgInstance();
    const api = alertsApi(pgAlertStorage(db), { now: NOW });
    const r = await receiver();
    await addPgEvents(db, developerEvents('a', 10, 10, NOW - 3 * DAY));
    const base = { ...conversionRule(r.url), name: 'Slow onboarding' };
    // Every developer takes 120 s from signing up to the first successful call.
    const slow = (await api('POST', '/', { ...base, trigger: { kind: 'ttfsi_p50_above', thresholdSeconds: 60 } })).body.id as string;
    const fast = (await api('POST', '/', { ...base, trigger: { kind: 'ttfsi_p50_above', thresholdSeconds: 600 } })).body.id as string;
    expect((await api('POST', `/${slow}/check`)).body).toMatchObject({ alerted: ['ttfsi_p50_above'], conditions: [{ value: 120 }] });
    expect((await api('POST', `/${fast}/check`)).body.alerted).toEqual([]);
    expect(r.bodies[0]!.text).toContain('/reports/ttfsi/');
  });

  it('retries a 500 with backoff, records both deliveries, and alerts on the next check once delivered', async () => {
    const { db } = await pgInstance();
    const clock = { now: NOW };
    await addPgEvents(db, developerEvents('a', 40, 5, NOW - 3 * DAY));
    await expectRetriedDelivery(alertsApi(pgAlertStorage(db), clock), clock, await receiver());
  });

  it('Check now records lastRunAt and leaves the schedule alone', async () => {
    const { db } = await pgInstance();
    const clock = { now: NOW };
    await expectCheckNowRecordsLastRun(alertsApi(pgAlertStorage(db), clock), clock, await receiver());
  });
});

describe('alert scheduler on PostgreSQL', () => {
  it('two runners on one database (two pools) fire each due check exactly once over many ticks', async () => {
    const { first, second, r } = await twoInstancesBelowThreshold();
    const clock = { now: NOW };
    const options = { baseUrl: 'http://x', now: () => clock.now, delivery: { baseDelayMs: 5 }, log: () => {} };
    const runners = [createAlertRunner(pgAlertStorage(first), options), createAlertRunner(pgAlertStorage(second), options)];
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
    const scheduler = createAlertRunner(pgAlertStorage(first), { baseUrl: 'http://x', now: () => clock.now, log: () => {} });
    // Another instance's API: its own pool and storage, so the two checks do not take turns in one process.
    const api = alertsApi(pgAlertStorage(second), clock);
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
    const options = { baseUrl: 'http://x', now: () => NOW, log: () => {} };
    const runners = [createAlertRunner(pgAlertStorage(first), options), createAlertRunner(pgAlertStorage(second), options)];
    const rule = await runners[0]!.rules.create(createRuleSchema.parse(conversionRule(r.url)), NOW);
    // Both evaluate from the same rule row (nothing alerted yet) and race to take the condition.
    const results = await Promise.all(runners.map((runner) => runner.check(rule)));
    expect(results.map((result) => result.conditions.length)).toEqual([1, 1]);
    expect(results.flatMap((result) => result.alerted)).toEqual([CONDITION]);
    expect(r.hits).toBe(1);
  });

  it('a condition whose webhook failed is not left marked alerted: the next check on any instance retries it', async () => {
    const { db } = await pgInstance();
    const r = await receiver();
    await addPgEvents(db, developerEvents('a', 40, 10, NOW - 3 * DAY));
    const clock = { now: NOW };
    const api = alertsApi(pgAlertStorage(db), clock);
    const id = (await api('POST', '/', conversionRule(r.url))).body.id as string;
    r.respond = [500, 500, 500];
    expect((await api('POST', `/${id}/check`)).body.alerted).toEqual([]);
    expect((await api('GET', `/${id}`)).body.activeConditions).toEqual([]);
    expect((await api('POST', `/${id}/check`)).body.alerted).toEqual([CONDITION]);
  });

  it('the timer-driven scheduler checks due rules by itself and stops cleanly', async () => {
    const { db } = await pgInstance();
    const r = await receiver();
    await addPgEvents(db, developerEvents('a', 40, 10, NOW - 3 * DAY));
    const clock = { now: NOW };
    const runner = createAlertRunner(pgAlertStorage(db), { baseUrl: 'http://x', now: () => clock.now, tickMs: 20, log: () => {} });
    const rule = await runner.rules.create(createRuleSchema.parse(conversionRule(r.url)), NOW);
    runner.start();
    for (let waited = 0; r.hits === 0 && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    await runner.stop();
    expect(r.bodies).toHaveLength(1);
    expect(await runner.rules.get(rule.id)).toMatchObject({ lastRunAt: NOW, nextRunAt: NOW + HOUR, activeConditions: [CONDITION] });
  });
});
