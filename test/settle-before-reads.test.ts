/**
 * The settle before reads of `events` (api/middleware/settle.ts) on the real app with a logged SQLite writer, as
 * server.ts runs it: every acknowledged event is in the next read, and a read with nothing acknowledged since the last
 * completed settle does not settle again. With several possible appenders (PostgreSQL) every read settles.
 */
import { describe, expect, it } from 'vitest';
import { createEventWriter } from '../api/ingest/writer.ts';
import { settleBeforeReads } from '../api/middleware/settle.ts';
import { sqliteDatabase } from '../api/storage/sql/sqlite.ts';
import { listEvents, PROJECT_TOKEN, testApp, testDb } from './support/app.ts';
import { captureEvent } from './support/factories.ts';

/** The real app on a fresh SQLite database with a logged writer whose settles are counted. */
function countedApp() {
  const db = testDb();
  // A long poll: nothing applies the log but the settles counted here.
  const writer = createEventWriter(sqliteDatabase(db.$client), { logged: true, pollMs: 60_000 });
  const settle = writer.settle;
  let settles = 0;
  writer.settle = () => {
    settles += 1;
    return settle();
  };
  return { ...testApp({ db, writer }), writer, settles: () => settles };
}

async function captureOne(app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }, distinctId: string) {
  const body = JSON.stringify(captureEvent({ distinct_id: distinctId, properties: { token: PROJECT_TOKEN } }));
  const res = await app.request('/i/v0/e/', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(res.status).toBe(200);
}

describe('settle before reads', () => {
  it('applies every acknowledged event before a read, and skips the settle when nothing was acknowledged since', async () => {
    const { app, settles } = countedApp();
    await captureOne(app, 'first');
    expect((await listEvents(app)).map((e) => e.distinctId)).toEqual(['first']);
    const afterFirst = settles();
    expect(afterFirst).toBe(1);
    expect((await listEvents(app)).map((e) => e.distinctId)).toEqual(['first']);
    expect(settles()).toBe(afterFirst);
    await captureOne(app, 'second');
    expect((await listEvents(app)).map((e) => e.distinctId).sort()).toEqual(['first', 'second']);
    expect(settles()).toBe(afterFirst + 1);
  });

  it('settles again after a request acknowledged while the last settle ran', async () => {
    const { app, db, writer, settles } = countedApp();
    const settle = settleBeforeReads(writer, { soleAppender: true });
    const running = settle();
    await captureOne(app, 'during');
    await running;
    const before = settles();
    await settle();
    expect(settles()).toBe(before + 1);
    expect(db.$client.prepare('SELECT distinct_id FROM events').pluck().all()).toEqual(['during']);
  });

  it('settles on every read when another instance may append to the log', async () => {
    const { writer, settles } = countedApp();
    const settle = settleBeforeReads(writer, { soleAppender: false });
    await settle();
    await settle();
    expect(settles()).toBe(2);
  });
});
