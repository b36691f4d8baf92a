/**
 * Alert rules on several instances sharing one PostgreSQL database (two pools): concurrent claims and patches. The
 * rule and delivery stores themselves are tested in test/alerts/storage.test.ts on both dialects.
 */
import { describe, expect, it } from 'vitest';
import { type AlertRule, createRuleSchema, INTERVAL_MS } from '../../api/alerts/rules.ts';
import { pgStorage } from '../../api/storage/postgres.ts';
import { sqliteStorage } from '../../api/storage/sqlite.ts';
import { type OnrampPgDb, openPgDb } from '../../db/client-pg.ts';
import { testDb } from '../support/app.ts';
import { usePostgres } from '../support/postgres.ts';

const NOW = 1_760_000_000_000;
const HOUR = INTERVAL_MS.hourly;
const HOOK = 'https://hooks.example.test/onramp';

const cluster = usePostgres();

/** A pool on `url` (a fresh database unless given), closed after the test. */
async function pgInstance(url?: string): Promise<{ db: OnrampPgDb; url: string }> {
  const databaseUrl = url ?? (await cluster.server().createDatabase());
  const db = await openPgDb(databaseUrl);
  cluster.onCleanup(() => db.close());
  return { db, url: databaseUrl };
}

const body = (fields: Record<string, unknown>) =>
  createRuleSchema.parse({ name: 'Activation', webhookUrl: HOOK, trigger: { kind: 'significant_drop' }, ...fields });

describe('alert rules on two PostgreSQL instances', () => {
  it('with two instances claiming concurrently, each due check is claimed exactly once', async () => {
    const first = await pgInstance();
    const second = await pgInstance(first.url);
    const stores = [pgStorage(first.db).alerts.rules, pgStorage(second.db).alerts.rules];
    const rules: AlertRule[] = [];
    for (let i = 0; i < 25; i += 1) rules.push(await stores[0]!.create(body({ name: `r${i}`, interval: i % 5 === 0 ? 'daily' : 'hourly' }), NOW + i));
    // The same schedule with one claimer is the reference: which rule is due at which tick.
    const sqlite = testDb();
    cluster.onCleanup(async () => void sqlite.$client.close());
    const reference = sqliteStorage(sqlite).alerts.rules;
    const referenceIds = new Map<string, number>();
    for (let i = 0; i < 25; i += 1)
      referenceIds.set((await reference.create(body({ name: `r${i}`, interval: i % 5 === 0 ? 'daily' : 'hourly' }), NOW + i)).id, i);

    const claimOnce = async (store: (typeof stores)[number], at: number): Promise<AlertRule[]> => {
      const due = await store.due(at);
      const taken = await Promise.all(due.map((rule) => store.claim(rule, at)));
      return due.filter((_rule, i) => taken[i]);
    };
    const claims: string[] = [];
    const expected: string[] = [];
    for (let tick = 0; tick < 60; tick += 1) {
      const at = NOW + 100 + tick * (HOUR / 2);
      // Three racing calls per instance, so the same rows are contended within a pool as well as across pools.
      const results = await Promise.all([0, 1, 0, 1, 0, 1].map((s) => claimOnce(stores[s]!, at)));
      for (const claimed of results) for (const rule of claimed) claims.push(`${tick}:${rules.findIndex((r) => r.id === rule.id)}`);
      for (const rule of await reference.due(at)) if (await reference.claim(rule, at)) expected.push(`${tick}:${referenceIds.get(rule.id)}`);
    }
    expect(new Set(claims).size).toBe(claims.length);
    expect(claims.sort()).toEqual(expected.sort());
    // 20 hourly rules due every other half-hour tick, 5 daily ones once a day: the test exercises many claims.
    expect(claims.length).toBeGreaterThan(500);
  });

  it('keeps both of two patches made at the same time on two instances', async () => {
    const first = await pgInstance();
    const second = await pgInstance(first.url);
    const [a, b] = [pgStorage(first.db).alerts.rules, pgStorage(second.db).alerts.rules];
    for (let round = 0; round < 15; round += 1) {
      const rule = await a.create(body({ name: `before ${round}` }), NOW);
      await Promise.all([
        a.update(rule.id, { name: `after ${round}` }, NOW + 1),
        b.update(rule.id, { webhookUrl: `${HOOK}/${round}` }, NOW + 2),
        a.update(rule.id, { enabled: false }, NOW + 3),
      ]);
      expect(await b.get(rule.id)).toMatchObject({ name: `after ${round}`, webhookUrl: `${HOOK}/${round}`, enabled: false });
    }
  });
});
