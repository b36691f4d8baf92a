import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { describe, expect, it } from 'vitest';
import { type OnrampDb, openDb } from '../../db/client.ts';
import * as schema from '../../db/schema/sqlite.ts';
import { listEvents, PROJECT_TOKEN, testApp, testDb } from '../support/app.ts';
import { loadEvent } from './load.ts';

function post(app: ReturnType<typeof testApp>['app'], size: number, tag: string) {
  // Large properties fill pages quickly, so the "disk" runs out within a few requests.
  const batch = Array.from({ length: size }, (_, i) => ({
    ...loadEvent(PROJECT_TOKEN, `${tag}-${i}`),
    properties: { ...loadEvent(PROJECT_TOKEN, `${tag}-${i}`).properties, padding: 'x'.repeat(2_000) },
  }));
  const res = app.request('/batch/', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api_key: PROJECT_TOKEN, batch }),
  });
  return { uuids: batch.map((e) => e.uuid), res };
}

describe('storage failures answer 503 and acknowledge nothing unstored', () => {
  it('disk full (PRAGMA max_page_count): 503 storage_unavailable, every 200 stored, no 503 stored, recovers', async () => {
    const db = testDb();
    const pages = db.$client.pragma('page_count', { simple: true }) as number;
    db.$client.pragma(`max_page_count = ${pages + 40}`);
    const { app } = testApp({ db });

    const sent: Array<{ uuids: string[]; status: number; body: unknown; retryAfter: string | null }> = [];
    for (let i = 0; i < 60 && !sent.some((s) => s.status === 503); i += 1) {
      // Three requests per turn so the group commit fails as a whole and falls back to per-request commits.
      const wave = [post(app, 5, `w${i}a`), post(app, 5, `w${i}b`), post(app, 5, `w${i}c`)];
      for (const { uuids, res } of wave) {
        const r = await res;
        sent.push({ uuids, status: r.status, body: await r.json(), retryAfter: r.headers.get('retry-after') });
      }
    }
    const full = sent.find((s) => s.status === 503);
    expect(full, 'the disk never filled').toBeDefined();
    expect(full!.body).toEqual({ error: { code: 'storage_unavailable', message: expect.stringContaining('disk is full') } });
    expect(full!.retryAfter).toMatch(/^\d+$/);
    expect(new Set(sent.map((s) => s.status))).toEqual(new Set([200, 503]));

    const stored = new Set((await listEvents(app)).map((e) => e.uuid));
    for (const s of sent) for (const uuid of s.uuids) expect(stored.has(uuid), `${uuid} answered ${s.status}`).toBe(s.status === 200);
    expect(db.$client.pragma('integrity_check', { simple: true })).toBe('ok');

    // Space freed: the same server stores again without a restart.
    db.$client.pragma('max_page_count = 1000000');
    const again = post(app, 5, 'after');
    expect((await again.res).status).toBe(200);
  });

  it('read-only database: 503 with a clear message and nothing stored', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'onramp-ro-')), 'onramp.db');
    openDb(`file:${path}`).$client.close();
    const sqlite = new Database(path, { readonly: true });
    const db = drizzle(sqlite, { schema }) as OnrampDb;
    const { app } = testApp({ db });

    const { res } = post(app, 3, 'ro');
    const r = await res;
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await r.json()).toEqual({ error: { code: 'storage_unavailable', message: expect.stringContaining('read-only') } });
    expect(sqlite.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBe(0);
    // Reads keep working, so operators can still look at what was stored.
    expect((await listEvents(app)).length).toBe(0);
    sqlite.close();
  });

  it('a database locked by another process: every queued request gets a clear 503 promptly, then it recovers', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'onramp-lock-')), 'onramp.db');
    const db = openDb(`file:${path}`);
    db.$client.pragma('busy_timeout = 150');
    const { app } = testApp({ db });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => post(app, 1, `locked-${i}`).res));
      const elapsed = Date.now() - started;
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(503));
      expect(await results[0]!.json()).toEqual({ error: { code: 'storage_unavailable', message: expect.stringContaining('locked') } });
      // Never hangs: at most one lock wait (150 ms here) for the whole group commit.
      expect(elapsed).toBeLessThan(1_500);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect((await post(app, 1, 'unlocked').res).status).toBe(200);
  });
});
