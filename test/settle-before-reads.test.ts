/**
 * The settle before reads of `events` (api/middleware/settle.ts) on the real app with a logged SQLite writer, as
 * server.ts runs it: every acknowledged event is in the next read; a read with nothing acknowledged since the last
 * completed settle touches no table; otherwise the log is counted and settled only with events pending. With several
 * possible appenders (PostgreSQL) every read counts the log, and a row another instance logged is applied.
 */
import { describe, expect, it } from 'vitest';
import { createEventWriter } from '../api/ingest/writer.ts';
import { settleBeforeReads } from '../api/middleware/settle.ts';
import { sqliteDatabase } from '../api/storage/sql/sqlite.ts';
import { listEvents, PROJECT_TOKEN, testApp, testDb } from './support/app.ts';
import { captureEvent } from './support/factories.ts';

/** The real app on a fresh SQLite database with a logged writer whose counts and settles from outside are counted. */
function countedApp() {
  const db = testDb();
  const writer = createEventWriter(sqliteDatabase(db.$client), { logged: true, pollMs: 60_000 });
  const calls = { counts: 0, settles: 0 };
  const { refreshCounts, settle } = writer;
  writer.refreshCounts = () => {
    calls.counts += 1;
    return refreshCounts();
  };
  writer.settle = () => {
    calls.settles += 1;
    return settle();
  };
  return { ...testApp({ db, writer }), writer, calls };
}

async function captureOne(app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }, distinctId: string) {
  const body = JSON.stringify(captureEvent({ distinct_id: distinctId, properties: { token: PROJECT_TOKEN } }));
  const res = await app.request('/i/v0/e/', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(res.status).toBe(200);
}

const distinctIds = (db: ReturnType<typeof testDb>) => db.$client.prepare('SELECT distinct_id FROM events ORDER BY distinct_id').pluck().all();

describe('settle before reads', () => {
  it('reads every acknowledged event, and touches no table when nothing was acknowledged since the last settle', async () => {
    const { app, calls } = countedApp();
    await captureOne(app, 'first');
    expect((await listEvents(app)).map((e) => e.distinctId)).toEqual(['first']);
    expect(calls.counts).toBe(1);
    const settles = calls.settles;
    expect((await listEvents(app)).map((e) => e.distinctId)).toEqual(['first']);
    expect(calls).toEqual({ counts: 1, settles });
    await captureOne(app, 'second');
    expect((await listEvents(app)).map((e) => e.distinctId).sort()).toEqual(['first', 'second']);
    expect(calls.counts).toBe(2);
  });

  it('checks again after a request acknowledged while the last settle ran', async () => {
    const { app, db, writer, calls } = countedApp();
    const settle = settleBeforeReads(writer, { soleAppender: true });
    const running = settle();
    await captureOne(app, 'during');
    await running;
    const counted = calls.counts;
    await settle();
    expect(calls.counts).toBe(counted + 1);
    expect(distinctIds(db)).toEqual(['during']);
  });

  it('with several appenders, counts the log on every read and applies what another instance logged', async () => {
    const { db, writer, calls } = countedApp();
    const settle = settleBeforeReads(writer, { soleAppender: false });
    await settle();
    expect(calls).toEqual({ counts: 1, settles: 0 });
    // A request another instance acknowledged: in the log, unknown to this writer.
    const body = JSON.stringify(captureEvent({ distinct_id: 'elsewhere', properties: { token: PROJECT_TOKEN } }));
    const meta = { contentType: 'application/json', contentEncoding: undefined, compression: undefined };
    db.$client
      .prepare('INSERT INTO ingest_log (event_count, logged_at, body, capture) VALUES (1, 0, ?, ?)')
      .run(Buffer.from(body), JSON.stringify([{ meta, receivedAt: 0, projectToken: PROJECT_TOKEN, bytes: Buffer.byteLength(body) }]));
    await settle();
    expect(calls).toEqual({ counts: 2, settles: 1 });
    expect(distinctIds(db)).toEqual(['elsewhere']);
  });
});
