import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { adminHeaders, listEvents, PROJECT_TOKEN, pgDbOf, storedRows, tableNames, testApp } from '../support/app.ts';
import { ON_POSTGRES } from '../support/pg-test-db.ts';
import { findDynamicSqlText } from '../support/sql-text-scan.ts';
import { loadEvent } from './load.ts';

const PAYLOADS = [
  "'; DROP TABLE events; --",
  "' OR '1'='1",
  '" OR ""="',
  '1; DELETE FROM persons',
  "x') UNION SELECT name, sql, 1, 1, 1, 1 FROM sqlite_master --",
  "'); UPDATE person_distinct_ids SET person_id = 1; --",
  '%',
  '_',
  '\\',
  '1 OR 1=1',
  "admin'--",
  "'; ATTACH DATABASE '/tmp/pwn.db' AS pwn; --",
  "' AND randomblob(1000000000) --",
  'NULL',
  '0x27',
];

const REPORT_PATHS = ['/api/v1/reports/funnel', '/api/v1/reports/ttfsi', '/api/v1/reports/docs', '/api/v1/reports/api-health'];
const PARAMS = ['event', 'distinct_id', 'limit', 'before', 'from', 'to', 'window', 'window_days', 'steps', 'order', 'breakdown', 'path', 'cursor'];

/** Schema and row counts of every table, on SQLite or PostgreSQL; call after a read has applied the ingest log. */
async function snapshot(db: ReturnType<typeof testApp>['db']) {
  const schema = pgDbOf(db)
    ? await storedRows(
        db,
        `SELECT table_name, column_name, data_type, NULL AS indexdef FROM information_schema.columns WHERE table_schema = 'public'
         UNION ALL SELECT tablename, indexname, NULL, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`,
      )
    : await storedRows(db, 'SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name');
  const counts: Record<string, number> = {};
  for (const name of (await tableNames(db)).filter((n) => !n.startsWith('sqlite_'))) {
    counts[name] = Number((await storedRows<{ n: number | string }>(db, `SELECT COUNT(*) AS n FROM "${name}"`))[0]!.n);
  }
  return { schema, counts };
}

describe('SQL injection leaves the database intact', () => {
  it('payloads as event names, distinct ids, property keys/values and $set are stored verbatim as data', async () => {
    const { app, db } = testApp();
    const events = PAYLOADS.map((p, i) => {
      const e = loadEvent(PROJECT_TOKEN, p, undefined, p);
      return {
        ...e,
        properties: { ...e.properties, [p]: p, nested: { [p]: [p] } },
        $set: { [p]: p, email: p },
        ...(i === 0 ? { timestamp: '2026-01-01T00:00:00Z' } : {}),
      };
    });
    const before = await snapshot(db);
    const res = await app.request('/batch/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: PROJECT_TOKEN, batch: events }),
    });
    expect(res.status).toBe(200);
    await listEvents(app);
    const after = await snapshot(db);
    expect(after.schema).toEqual(before.schema);
    expect(after.counts.events).toBe((before.counts.events as number) + PAYLOADS.length);

    for (const p of PAYLOADS) {
      const found = await listEvents(app, `event=${encodeURIComponent(p)}`);
      expect(
        found.map((e) => e.event),
        p,
      ).toEqual([p]);
      expect(found[0]!.distinctId).toBe(p);
      expect(found[0]!.properties[p]).toBe(p);
      const byId = await listEvents(app, `distinct_id=${encodeURIComponent(p)}`);
      expect(byId.length, p).toBe(1);
    }
  });

  it('payloads in every query parameter of the events and reports APIs change nothing and never 5xx', async () => {
    const { app, db } = testApp();
    const seed = Array.from({ length: 5 }, (_, i) => loadEvent(PROJECT_TOKEN, `user-${i}`));
    await app.request('/batch/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: PROJECT_TOKEN, batch: seed }),
    });
    await listEvents(app);
    const before = await snapshot(db);
    for (const path of ['/api/v1/events', ...REPORT_PATHS]) {
      for (const param of PARAMS) {
        for (const p of PAYLOADS) {
          const res = await app.request(`${path}?${param}=${encodeURIComponent(p)}`, { headers: adminHeaders });
          expect(res.status, `${path}?${param}=${p}: ${await res.clone().text()}`).toBeLessThan(500);
          if (res.status === 200 && path === '/api/v1/events' && param === 'event') expect(((await res.json()) as { events: unknown[] }).events).toEqual([]);
        }
      }
    }
    const after = await snapshot(db);
    expect(after.schema).toEqual(before.schema);
    expect(after.counts).toEqual(before.counts);
    expect((await listEvents(app)).length).toBe(5);
  });

  // Source checks: the same on both projects, so they run once.
  it.skipIf(ON_POSTGRES)(
    'SQL text reaches the drivers only as drizzle sql templates or constants',
    () => {
      const root = fileURLToPath(new URL('../..', import.meta.url));
      const files: string[] = [];
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const full = join(dir, name);
          if (statSync(full).isDirectory()) walk(full);
          else if (full.endsWith('.ts')) files.push(full);
        }
      };
      walk(join(root, 'api'));
      walk(join(root, 'db'));
      expect(findDynamicSqlText(files, root).map((f) => `${f.file}:${f.line}: ${f.text}`)).toEqual([]);
    },
    120_000,
  );

  it.skipIf(ON_POSTGRES)(
    'the scan flags text built from runtime values and passes constants and templates',
    () => {
      const root = fileURLToPath(new URL('../..', import.meta.url));
      const sample = fileURLToPath(new URL('./fixtures/dynamic-sql-sample.ts', import.meta.url));
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the expected source text of the sample's template literal
      expect(findDynamicSqlText([sample], root).map((f) => f.text)).toEqual(["`SELECT * FROM events WHERE event = '${name}'`", 'name']);
    },
    60_000,
  );
});
