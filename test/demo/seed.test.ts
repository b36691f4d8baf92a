import { beforeAll, describe, expect, it } from 'vitest';
import { type DemoSummary, generateDemoEvents, seedDemoIfEmpty } from '../../api/demo/seed.ts';
import { sqliteIngestDatabase } from '../../api/import/database.ts';
import { validateCapture } from '../../api/ingest/validate.ts';
import { testDb } from '../support/app.ts';
import { createEventStore } from '../support/sync-event-store.ts';

const NOW = Date.UTC(2026, 10, 23, 20, 0, 0);
const DAY = 86_400_000;

type Row = Record<string, unknown>;

describe('demo data', () => {
  it('is deterministic for a seed and a clock', () => {
    const a = generateDemoEvents({ now: NOW, developers: 300 }).events;
    const b = generateDemoEvents({ now: NOW, developers: 300 }).events;
    expect(a.length).toBeGreaterThan(1000);
    expect(b.map((e) => [e.uuid, e.event, e.distinctId, e.timestamp, e.propertiesJson])).toEqual(
      a.map((e) => [e.uuid, e.event, e.distinctId, e.timestamp, e.propertiesJson]),
    );
    const other = generateDemoEvents({ now: NOW, developers: 300, seed: 7 }).events;
    expect(other[0]!.uuid).not.toBe(a[0]!.uuid);
  });

  it('seeds an empty database once and never touches one that has events', async () => {
    const db = testDb();
    const seed = (on: typeof db) => seedDemoIfEmpty(sqliteIngestDatabase(on.$client), { now: NOW, developers: 200 });
    const first = await seed(db);
    expect(first).toBeDefined();
    const count = () => db.$client.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
    expect(count()).toBe(first!.events);
    expect(await seed(db)).toBeUndefined();
    expect(count()).toBe(first!.events);

    const other = testDb();
    const one = validateCapture({ event: 'hello', distinct_id: 'real-user', api_key: 'phc_x' }, { projectToken: 'phc_x' });
    createEventStore(other.$client).writeBatches([one]);
    expect(await seed(other)).toBeUndefined();
    expect(other.$client.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBe(1);
  });

  it('never emits events after now and stores timestamps as integer ms', () => {
    const { events, summary } = generateDemoEvents({ now: NOW, developers: 500 });
    expect(events.every((e) => Number.isInteger(e.timestamp) && e.timestamp <= NOW && e.timestamp >= summary.from)).toBe(true);
  });

  describe('on the full default data set', () => {
    const db = testDb();
    let summary!: DemoSummary;
    let seedMs = 0;
    beforeAll(async () => {
      const started = performance.now();
      summary = (await seedDemoIfEmpty(sqliteIngestDatabase(db.$client), { now: NOW }))!;
      seedMs = performance.now() - started;
    });
    const all = (sql: string, ...params: unknown[]) => db.$client.prepare(sql).all(...params) as Row[];
    const one = (sql: string, ...params: unknown[]) =>
      db.$client
        .prepare(sql)
        .pluck()
        .get(...params);

    it('has a few thousand developers and loads quickly', () => {
      expect(summary.persons).toBeGreaterThan(2000);
      expect(summary.events).toBeGreaterThan(30_000);
      expect(seedMs).toBeLessThan(15_000);
    });

    it('merges anonymous reading into the identified person', () => {
      const identifies = all(`SELECT distinct_id, person_id, json_extract(properties, '$.$anon_distinct_id') anon FROM events WHERE event = '$identify'`);
      expect(identifies.length).toBeGreaterThan(1000);
      const personOf = db.$client.prepare('SELECT person_id FROM person_distinct_ids WHERE distinct_id = ?').pluck();
      for (const row of identifies) expect(personOf.get(row.anon)).toBe(row.person_id);
      // Pageviews sent under the anonymous id now belong to the person who signed up.
      const merged = one(`SELECT COUNT(DISTINCT e.person_id) FROM events e JOIN events s ON s.person_id = e.person_id AND s.event = 'signed_up'
        WHERE e.event = '$pageview' AND e.distinct_id != s.distinct_id`) as number;
      expect(merged).toBeGreaterThan(1000);
      expect(one(`SELECT COUNT(*) FROM persons WHERE is_identified = 1`)).toBe(identifies.length);
    });

    it('follows the event contract', () => {
      // Collect violations and assert once: one expect per property of 30,000 calls would dominate the run time.
      const bad: unknown[] = [];
      const calls = all(`SELECT properties FROM events WHERE event = 'api_call'`).map((r) => JSON.parse(r.properties as string) as Row);
      expect(calls.length).toBeGreaterThan(10_000);
      for (const p of calls) {
        const ok =
          typeof p.status === 'number' &&
          ['GET', 'POST'].includes(p.method as string) &&
          ['/sandbox/v1/messages', '/sandbox/v1/messages/:id'].includes(p.endpoint as string) &&
          Number.isInteger(p.duration_ms) &&
          (p.duration_ms as number) > 0 &&
          /^onr_test_[0-9A-Za-z]{8}$/.test(p.key_prefix as string) &&
          (p.status as number) >= 400 === (typeof p.error_code === 'string');
        if (!ok) bad.push(p);
      }
      const views = all(`SELECT properties FROM events WHERE event = '$pageview'`).map((r) => JSON.parse(r.properties as string) as Row);
      for (const p of views) {
        if (!/^\/([a-z0-9-]+\/)*$/.test(p.$pathname as string) || !String(p.$current_url).endsWith(String(p.$pathname))) bad.push(p);
      }
      const votes = all(`SELECT properties FROM events WHERE event = 'doc_feedback'`).map((r) => JSON.parse(r.properties as string) as Row);
      for (const p of votes) {
        if (typeof p.helpful !== 'boolean' || typeof p.path !== 'string' || (p.comment !== undefined && String(p.comment).length > 1000)) bad.push(p);
      }
      const tickets = all(`SELECT properties FROM events WHERE event = 'support_ticket_created'`).map((r) => JSON.parse(r.properties as string) as Row);
      expect(tickets.length).toBeGreaterThan(20);
      for (const p of tickets) if (typeof p.topic !== 'string' || typeof p.path !== 'string') bad.push(p);
      expect(bad).toEqual([]);
    });

    it('shows a significant drop from key created to first successful call in the last week', () => {
      const rate = (from: number, to: number) => {
        const row = db.$client
          .prepare(
            `WITH k AS (SELECT person_id, MIN(timestamp) t FROM events WHERE event = 'api_key_created' GROUP BY person_id),
                  s AS (SELECT person_id, MIN(timestamp) t FROM events WHERE event = 'api_call'
                        AND json_extract(properties, '$.status') BETWEEN 200 AND 299 GROUP BY person_id)
             SELECT COUNT(*) n, SUM(s.t IS NOT NULL AND s.t <= @to) x FROM k LEFT JOIN s USING (person_id) WHERE k.t >= @from AND k.t < @to`,
          )
          .get({ from, to }) as { n: number; x: number };
        return row;
      };
      const last = rate(NOW - 7 * DAY, NOW);
      const before = rate(NOW - 14 * DAY, NOW - 7 * DAY);
      expect(last.n).toBeGreaterThanOrEqual(30);
      expect(before.n).toBeGreaterThanOrEqual(30);
      const p1 = before.x / before.n;
      const p2 = last.x / last.n;
      expect(p1 - p2).toBeGreaterThan(0.2);
      const pooled = (before.x + last.x) / (before.n + last.n);
      const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / before.n + 1 / last.n));
      expect(z).toBeGreaterThan(1.96);
      // The cause shows in the data: invalid_api_key dominates the errors of last week's stalled developers.
      const top = all(
        `SELECT json_extract(properties, '$.error_code') code, COUNT(*) n FROM events WHERE event = 'api_call' AND timestamp >= ?
           AND json_extract(properties, '$.status') >= 400 AND json_extract(properties, '$.status') != 429
           GROUP BY 1 ORDER BY n DESC LIMIT 1`,
        NOW - 7 * DAY,
      );
      expect(top[0]?.code).toBe('invalid_api_key');
    });

    it('has pages with good and bad satisfaction, reasons and comments', () => {
      const pages = all(
        `SELECT json_extract(properties, '$.path') path, COUNT(*) votes, AVG(json_extract(properties, '$.helpful')) rate,
                COUNT(json_extract(properties, '$.comment')) comments, COUNT(json_extract(properties, '$.reason')) reasons
           FROM events WHERE event = 'doc_feedback' GROUP BY 1 HAVING votes >= 30`,
      );
      expect(pages.some((p) => (p.rate as number) < 0.5)).toBe(true);
      expect(pages.some((p) => (p.rate as number) > 0.85)).toBe(true);
      expect(pages.every((p) => (p.comments as number) > 0 || (p.rate as number) > 0.9)).toBe(true);
      expect(pages.filter((p) => (p.reasons as number) > 0).length).toBeGreaterThan(3);
    });

    it('leaves some developers still in progress and some blocked by errors', () => {
      const recentWithoutSuccess = one(
        `SELECT COUNT(*) FROM events k WHERE k.event = 'api_key_created' AND k.timestamp > ? AND NOT EXISTS (
           SELECT 1 FROM events c WHERE c.person_id = k.person_id AND c.event = 'api_call' AND json_extract(c.properties, '$.status') BETWEEN 200 AND 299)`,
        NOW - 2 * DAY,
      ) as number;
      expect(recentWithoutSuccess).toBeGreaterThan(5);
      const blocked = one(
        `SELECT COUNT(DISTINCT person_id) FROM events e WHERE event = 'api_call' AND json_extract(properties, '$.status') >= 400
           AND NOT EXISTS (SELECT 1 FROM events c WHERE c.person_id = e.person_id AND c.event = 'api_call'
                           AND json_extract(c.properties, '$.status') BETWEEN 200 AND 299)`,
      ) as number;
      expect(blocked).toBeGreaterThan(100);
    });
  });
});
