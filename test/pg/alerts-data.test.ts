import { describe, expect, it } from 'vitest';
import { createPgDeliveryStore } from '../../api/alerts/pg/deliveries.ts';
import { createPgRuleStore } from '../../api/alerts/pg/rules.ts';
import { createRuleSchema, createRuleStore, INTERVAL_MS, type AlertRule } from '../../api/alerts/rules.ts';
import { createDeliveryStore } from '../../api/alerts/runner.ts';
import type { OnrampDb } from '../../db/client.ts';
import { openPgDb, type OnrampPgDb } from '../../db/client-pg.ts';
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

function sqliteInstance(): OnrampDb {
  const db = testDb();
  cluster.onCleanup(async () => void db.$client.close());
  return db;
}

const body = (fields: Record<string, unknown>) => createRuleSchema.parse({ name: 'Activation', webhookUrl: HOOK, trigger: { kind: 'significant_drop' }, ...fields });

/** Rule ids are random, so each side's ids are replaced by the order they were created in. */
function labeller() {
  const labels = new Map<string, string>();
  const label = (id: string) => labels.get(id) ?? id;
  return {
    learn: (rule: AlertRule, name: string) => labels.set(rule.id, name),
    rule: (rule: AlertRule | undefined) => (rule ? { ...rule, id: label(rule.id) } : rule),
    rules: (rules: AlertRule[]) => rules.map((r) => ({ ...r, id: label(r.id) })),
  };
}

describe('PostgreSQL alert rule store is the twin of the SQLite one', () => {
  it('gives the same results for the same calls: create, get, list, update, due, claim, active conditions, delete', async () => {
    const sqlite = createRuleStore(sqliteInstance().$client);
    const pg = createPgRuleStore((await pgInstance()).db);
    const [sl, pl] = [labeller(), labeller()];
    /** Runs one call on both stores and expects the same result, ids aside. */
    const both = async <T,>(call: (store: typeof sqlite | typeof pg) => T | Promise<T>, shape: (l: ReturnType<typeof labeller>, v: Awaited<T>) => unknown = (_l, v) => v) => {
      const [a, b] = [await call(sqlite), await call(pg)];
      expect(shape(pl, b as Awaited<T>)).toEqual(shape(sl, a as Awaited<T>));
      return [a, b] as const;
    };
    const inputs = [
      body({}),
      body({ name: 'Step 2 under half', steps: ['signed_up', 'api_key_created', 'first_successful_call'], window: '14d', range: '30d', interval: 'daily', trigger: { kind: 'conversion_below', threshold: 0.5, step: 2 } }),
      body({ name: 'Slow start', trigger: { kind: 'ttfsi_p50_above', thresholdSeconds: 90.5 }, enabled: false }),
      body({ name: 'Any step', trigger: { kind: 'conversion_below', threshold: 0.25 }, range: '90d' }),
    ];
    for (const [i, input] of inputs.entries()) {
      const [a, b] = await both((s) => s.create(input, NOW + i), (l, r) => ({ ...r, id: undefined }));
      sl.learn(a, `rule-${i}`);
      pl.learn(b, `rule-${i}`);
    }
    const [sqliteRules, pgRules] = [sqlite.list(), await pg.list()];
    const id = (i: number) => (store: typeof sqlite | typeof pg) => (store === sqlite ? sqliteRules : pgRules)[i]!.id;

    await both((s) => s.list(), (l, v) => l.rules(v));
    await both((s) => s.get(id(1)(s)), (l, v) => l.rule(v));
    await both((s) => s.get('alr_missing'));
    await both((s) => s.due(NOW + 2), (l, v) => l.rules(v));
    // The disabled rule is never due.
    await both((s) => s.due(NOW + 10 * 86_400_000), (l, v) => l.rules(v));

    await both((s) => s.setActiveConditions(id(1)(s), ['drop:1', 'below:2']));
    await both((s) => s.get(id(1)(s)), (l, v) => l.rule(v));
    // A new name keeps the alerted conditions; a new trigger forgets them; a new interval may bring the check forward.
    await both((s) => s.update(id(1)(s), { name: 'Renamed' }, NOW + 100), (l, v) => l.rule(v));
    await both((s) => s.update(id(1)(s), { interval: 'hourly' }, NOW + 200), (l, v) => l.rule(v));
    await both((s) => s.update(id(1)(s), { trigger: { kind: 'conversion_below', threshold: 0.4, step: 1 } }, NOW + 300), (l, v) => l.rule(v));
    await both((s) => s.update(id(2)(s), { enabled: true, webhookUrl: 'http://127.0.0.1:9/x' }, NOW + 400), (l, v) => l.rule(v));
    await both((s) => s.update('alr_missing', { name: 'x' }, NOW));
    for (const store of [sqlite, pg]) {
      await expect(async () => store.update(id(1)(store), { steps: ['a', 'b'], trigger: { kind: 'conversion_below', threshold: 0.5, step: 2 } }, NOW)).rejects.toMatchObject({
        status: 400,
        message: 'trigger.step: must be below the number of steps (2)',
      });
    }
    await both((s) => s.get(id(1)(s)), (l, v) => l.rule(v));

    // Claim: only while still due, and it moves the check one interval on.
    for (const at of [NOW + 500, NOW + 600, NOW + HOUR + 500]) {
      const [dueSqlite, duePg] = await both((s) => s.due(at), (l, v) => l.rules(v));
      for (const [i, rule] of dueSqlite.entries()) {
        await both((s) => s.claim(s === sqlite ? rule : duePg[i]!, at));
        await both((s) => s.claim(s === sqlite ? rule : duePg[i]!, at));
      }
      await both((s) => s.list(), (l, v) => l.rules(v));
    }

    await both((s) => s.delete(id(0)(s)));
    await both((s) => s.delete(id(0)(s)));
    await both((s) => s.list(), (l, v) => l.rules(v));
  });

  it('claimDue takes exactly the rules due + claim would, and leaves them as claim does', async () => {
    const sqlite = createRuleStore(sqliteInstance().$client);
    const pg = createPgRuleStore((await pgInstance()).db);
    const names = new Map<string, string>();
    for (const [i, interval] of (['hourly', 'daily', 'hourly', 'daily'] as const).entries()) {
      names.set(sqlite.create(body({ name: `r${i}`, interval }), NOW + i * 1000).id, `r${i}`);
      names.set((await pg.create(body({ name: `r${i}`, interval }), NOW + i * 1000)).id, `r${i}`);
    }
    const named = (rules: AlertRule[]) => rules.map((r) => ({ ...r, id: names.get(r.id) }));
    for (const at of [NOW + 1500, NOW + 5000, NOW + HOUR + 1500, NOW + HOUR + 5000, NOW + 25 * HOUR]) {
      const claimedSqlite = sqlite.due(at).filter((rule) => sqlite.claim(rule, at));
      expect(named(await pg.claimDue(at))).toEqual(named(claimedSqlite));
      expect(named(await pg.list())).toEqual(named(sqlite.list()));
    }
  });

  it.each(['claimDue', 'due + claim'] as const)('with two instances claiming concurrently (%s), each due check is claimed exactly once', async (mode) => {
    const first = await pgInstance();
    const second = await pgInstance(first.url);
    const stores = [createPgRuleStore(first.db), createPgRuleStore(second.db)];
    const rules: AlertRule[] = [];
    for (let i = 0; i < 25; i += 1) rules.push(await stores[0]!.create(body({ name: `r${i}`, interval: i % 5 === 0 ? 'daily' : 'hourly' }), NOW + i));
    // The same schedule on SQLite, one claimer, is the reference: which rule is due at which tick.
    const reference = createRuleStore(sqliteInstance().$client);
    const referenceIds = new Map<string, number>();
    for (let i = 0; i < 25; i += 1) referenceIds.set(reference.create(body({ name: `r${i}`, interval: i % 5 === 0 ? 'daily' : 'hourly' }), NOW + i).id, i);

    const claimOnce = async (store: (typeof stores)[number], at: number): Promise<AlertRule[]> => {
      if (mode === 'claimDue') return store.claimDue(at);
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
      for (const rule of reference.due(at)) if (reference.claim(rule, at)) expected.push(`${tick}:${referenceIds.get(rule.id)}`);
    }
    expect(new Set(claims).size).toBe(claims.length);
    expect(claims.sort()).toEqual(expected.sort());
    // 20 hourly rules due every other half-hour tick, 5 daily ones once a day: the test exercises many claims.
    expect(claims.length).toBeGreaterThan(500);
  });

  it('keeps both of two patches made at the same time on two instances', async () => {
    const first = await pgInstance();
    const second = await pgInstance(first.url);
    const [a, b] = [createPgRuleStore(first.db), createPgRuleStore(second.db)];
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

describe('PostgreSQL alert delivery records are the twin of the SQLite ones', () => {
  it('insert pending, finish and list give the same records', async () => {
    const sqliteDb = sqliteInstance();
    const { db } = await pgInstance();
    const [sqliteRule, pgRule] = [createRuleStore(sqliteDb.$client).create(body({}), NOW), await createPgRuleStore(db).create(body({}), NOW)];
    const sqlite = createDeliveryStore(sqliteDb.$client);
    const pg = createPgDeliveryStore(db);
    const normalise = <T extends { ruleId: string }>(records: T[]) => records.map((r) => ({ ...r, ruleId: 'rule' }));
    // Payload text is kept byte for byte (key order, spacing, non-ASCII).
    const payloads = ['{"text":"drop","b":1,"a":[1.50, 2]}', '{"text":"Konversion unter 50 % — 🚨"}', '{"z":{"y":null}}'];
    const results = [
      { status: 'delivered', attempts: 1, responseStatus: 200, error: null },
      { status: 'failed', attempts: 4, responseStatus: 503, error: 'HTTP 503' },
      { status: 'failed', attempts: 4, responseStatus: null, error: 'connect ECONNREFUSED' },
    ] as const;
    for (const [i, payload] of payloads.entries()) {
      const ids = [sqlite.insertPending(sqliteRule.id, `cond:${i}`, payload, NOW + i), await pg.insertPending(pgRule.id, `cond:${i}`, payload, NOW + i)];
      expect(ids[1]).toBe(ids[0]);
      expect(normalise(await pg.list(pgRule.id))).toEqual(normalise(sqlite.list(sqliteRule.id)));
      if (i < 2) expect(normalise([await pg.finish(ids[1]!, results[i]!, NOW + 10 + i)])).toEqual(normalise([sqlite.finish(ids[0]!, results[i]!, NOW + 10 + i)]));
    }
    const [text] = (await db.$client.query<{ payload: string }>('SELECT payload FROM alert_deliveries ORDER BY id LIMIT 1')).rows;
    expect(text!.payload).toBe(payloads[0]);
    expect(normalise(await pg.list(pgRule.id))).toEqual(normalise(sqlite.list(sqliteRule.id)));
    expect(normalise(await pg.list(pgRule.id, 2))).toEqual(normalise(sqlite.list(sqliteRule.id, 2)));
    expect(await pg.list('alr_missing')).toEqual([]);
    expect((await pg.list(pgRule.id)).map((r) => r.status)).toEqual(['pending', 'failed', 'delivered']);
  });
});
