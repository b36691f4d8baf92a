import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createCaptureCore } from '../../api/ingest/capture-core.ts';
import { captureInProcess, listEvents, PROJECT_TOKEN, testApp } from '../support/app.ts';
import { ON_POSTGRES } from '../support/pg-test-db.ts';
import { startServer } from '../support/server.ts';
import { loadEvent } from './load.ts';

const BOUND = 25;

function batchBody(token: string, size: number, tag: string) {
  const batch = Array.from({ length: size }, (_, i) => loadEvent(token, `${tag}-${i % 3}`));
  return { uuids: batch.map((e) => e.uuid), body: JSON.stringify({ api_key: token, batch }) };
}

describe('overload: the ingest queue is bounded', () => {
  it('answers 503 + Retry-After past the bound, stores exactly what it acknowledged, and never queues more', async () => {
    const { app: first, db } = testApp();
    const writer = first.storage.createWriter({ maxQueuedEvents: BOUND });
    const { app } = testApp({ db, writer });
    const requests = Array.from({ length: 40 }, (_, i) => batchBody(PROJECT_TOKEN, 10, `burst-${i}`));
    let peakQueued = 0;
    const responses = await Promise.all(
      requests.map(async ({ body }) => {
        // In process, so the burst reaches the writer in one event-loop turn, as a flood of sockets would.
        const res = await captureInProcess(app, '', { headers: { 'content-type': 'application/json' }, body });
        peakQueued = Math.max(peakQueued, writer.queuedEvents);
        return res;
      }),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(peakQueued).toBeLessThanOrEqual(BOUND);

    const rejected = responses.find((r) => r.status === 503)!;
    expect(rejected.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await rejected.json()).toEqual({ error: { code: 'overloaded', message: expect.stringContaining('queue is full') } });

    const stored = new Set((await listEvents(app)).map((e) => e.uuid));
    responses.forEach((res, i) => {
      for (const uuid of requests[i]!.uuids) expect(stored.has(uuid), `${uuid} after ${res.status}`).toBe(res.status === 200);
    });
  });

  it('lets a request larger than the bound into an empty queue instead of refusing it forever', async () => {
    const { app: first, db } = testApp();
    const { app } = testApp({ db, writer: first.storage.createWriter({ maxQueuedEvents: 5 }) });
    const { body } = batchBody(PROJECT_TOKEN, 50, 'big');
    const res = await app.request('/batch/', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
  });

  // Reads the SQLite file afterwards; on PostgreSQL the crash test checks every acknowledged uuid against the server.
  it.skipIf(ON_POSTGRES)('the real server under a tiny ONRAMP_MAX_QUEUED_EVENTS sheds load with 503s and never hangs', { timeout: 30_000 }, async () => {
    const server = await startServer({ env: { ONRAMP_MAX_QUEUED_EVENTS: String(BOUND) } });
    const acked: string[] = [];
    try {
      const statuses = new Map<number, number>();
      const retryAfter = new Set<string | null>();
      const deadline = Date.now() + 2_000;
      await Promise.all(
        Array.from({ length: 48 }, async (_, c) => {
          while (Date.now() < deadline) {
            const { uuids, body } = batchBody(server.projectToken, 10, `client-${c}`);
            const res = await fetch(`${server.url}/batch/`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
              signal: AbortSignal.timeout(5_000),
            });
            await res.arrayBuffer();
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status === 503) retryAfter.add(res.headers.get('retry-after'));
            if (res.status === 200) acked.push(...uuids);
          }
        }),
      );
      console.log(`[overload] bound=${BOUND} statuses=${JSON.stringify(Object.fromEntries(statuses))}`);
      expect([...statuses.keys()].sort()).toEqual([200, 503]);
      expect([...retryAfter].every((v) => v !== null && /^\d+$/.test(v))).toBe(true);
      const res = await fetch(`${server.url}/api/v1/events?limit=1000`, { headers: { authorization: `Bearer ${server.adminToken}` } });
      expect(res.status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const db = new Database(server.databasePath, { readonly: true });
    const has = db.prepare('SELECT COUNT(*) FROM events WHERE uuid = ?').pluck();
    expect(acked.filter((u) => has.get(u) !== 1)).toEqual([]);
    db.close();
  });

  it('bounds request bodies still arriving: past the byte budget a new upload gets 503 at once, then service resumes', async () => {
    const { app: base, db } = testApp();
    // A second app on the same database and writer whose capture core has a small in-flight body budget.
    const capture = createCaptureCore({ writer: base.writer, projectToken: PROJECT_TOKEN, maxInflightBodyBytes: 100_000 });
    const { app } = testApp({ db, writer: base.writer, capture });

    // A chunked upload that stays open until the test lets it finish: it holds a 1 MiB reservation meanwhile.
    let finish!: () => void;
    const held = new Promise<void>((r) => (finish = r));
    const text = JSON.stringify(loadEvent(PROJECT_TOKEN, 'slow'));
    const slow = app.request('/i/v0/e/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode(text.slice(0, 10)));
          await held;
          controller.enqueue(new TextEncoder().encode(text.slice(10)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    await new Promise((r) => setTimeout(r, 50));

    const refused = await app.request('/i/v0/e/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(loadEvent(PROJECT_TOKEN, 'next')),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('overloaded');

    finish();
    expect((await slow).status).toBe(200);
    const after = await app.request('/i/v0/e/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(loadEvent(PROJECT_TOKEN, 'after')),
    });
    expect(after.status).toBe(200);
  });
});
