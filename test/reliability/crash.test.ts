import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { drainLog } from '../../api/ingest/log-processor.ts';
import { postgresDatabase } from '../../api/storage/sql/postgres.ts';
import { sqliteDatabase } from '../../api/storage/sql/sqlite.ts';
import { openPgDb } from '../../db/client-pg.ts';
import { freshPgDatabaseUrl, ON_POSTGRES } from '../support/pg-test-db.ts';
import { startServer } from '../support/server.ts';
import { runLoad } from './load.ts';

const ROUNDS = 4;
const CLIENTS = 24;

interface Tally {
  acknowledged: number;
  stored: number;
  duplicated: number;
  lost: number;
  integrity: string;
  /** Acknowledged events that were still in the ingest log and were applied for the tally. */
  appliedFromLog: number;
}

/** Checks the acknowledged uuids against the file with a separate connection, as an operator would after a crash. */
async function tally(databasePath: string, acknowledged: Set<string>): Promise<Tally> {
  const db = new Database(databasePath);
  try {
    // Acknowledged events may still sit in the ingest log after the last kill; the next start would apply them.
    const logged = await drainLog(sqliteDatabase(db), 5_000);
    db.exec('CREATE TEMP TABLE acked (uuid TEXT PRIMARY KEY)');
    const add = db.prepare('INSERT INTO acked (uuid) VALUES (?)');
    db.transaction(() => {
      for (const uuid of acknowledged) add.run(uuid);
    })();
    const count = (sql: string) => db.prepare(sql).pluck().get() as number;
    return {
      acknowledged: acknowledged.size,
      stored: count('SELECT COUNT(*) FROM events e JOIN acked a ON a.uuid = e.uuid'),
      duplicated: count('SELECT COUNT(*) FROM (SELECT uuid FROM events GROUP BY uuid HAVING COUNT(*) > 1)'),
      lost: count('SELECT COUNT(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.uuid = a.uuid)'),
      integrity: db.pragma('integrity_check', { simple: true }) as string,
      appliedFromLog: logged,
    };
  } finally {
    db.close();
  }
}

/** The same check on PostgreSQL: apply what the log still holds, then look every acknowledged uuid up. */
async function tallyPg(databaseUrl: string, acknowledged: Set<string>): Promise<Tally> {
  const db = await openPgDb(databaseUrl, { poolSize: 2 });
  try {
    const appliedFromLog = await drainLog(postgresDatabase(db.$client), 5_000);
    const uuids = [...acknowledged];
    const one = async (text: string, values: unknown[] = []) => Number((await db.$client.query<{ n: string }>(text, values)).rows[0]!.n);
    const stored = await one('SELECT COUNT(*) AS n FROM events WHERE uuid = ANY($1::text[])', [uuids]);
    return {
      acknowledged: acknowledged.size,
      stored,
      duplicated: await one('SELECT COUNT(*) AS n FROM (SELECT uuid FROM events GROUP BY uuid HAVING COUNT(*) > 1) d'),
      lost: acknowledged.size - stored,
      integrity: 'ok',
      appliedFromLog,
    };
  } finally {
    await db.close();
  }
}

describe(`crash safety: kill -9 under load (${ON_POSTGRES ? 'PostgreSQL' : 'SQLite'})`, () => {
  it(`keeps every acknowledged event exactly once across ${ROUNDS} SIGKILLs`, { timeout: 120_000 }, async () => {
    const databasePath = join(mkdtempSync(join(tmpdir(), 'onramp-crash-')), 'onramp.db');
    const databaseUrl = ON_POSTGRES ? await freshPgDatabaseUrl() : undefined;
    const start = () => startServer({ databasePath, ...(databaseUrl ? { databaseUrl } : {}) });
    const acknowledged = new Set<string>();
    let interrupted = 0;

    for (let round = 1; round <= ROUNDS; round += 1) {
      const server = await start();
      let killed = false;
      // Kill at a different point of each round, always while every client has a request in flight or queued.
      const killAfterMs = 500 + round * 170;
      const load = runLoad({
        url: server.url,
        token: server.projectToken,
        clients: CLIENTS,
        stop: () => killed,
        replay: [...acknowledged].slice(-500),
      });
      await new Promise((r) => setTimeout(r, killAfterMs));
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGKILL');
      await exited;
      killed = true;
      const result = await load;
      for (const uuid of result.acknowledged) acknowledged.add(uuid);
      interrupted += result.failed;
      expect(result.acknowledged.size, `round ${round} acknowledged nothing: ${server.output()}`).toBeGreaterThan(0);
      expect(
        [...result.statuses.keys()].filter((s) => s !== 200),
        'only 200s before the kill',
      ).toEqual([]);
    }

    const counts = await (databaseUrl ? tallyPg(databaseUrl, acknowledged) : tally(databasePath, acknowledged));
    console.log(
      `[crash ${ON_POSTGRES ? 'postgres' : 'sqlite'}] rounds=${ROUNDS} acknowledged=${counts.acknowledged} stored=${counts.stored} duplicated=${counts.duplicated} ` +
        `lost=${counts.lost} still in the ingest log after the last kill=${counts.appliedFromLog} requests cut by the kill=${interrupted}`,
    );
    // The kill must land mid-load, or the test proves nothing.
    expect(interrupted).toBeGreaterThan(0);
    expect(counts.integrity).toBe('ok');
    expect(counts.lost).toBe(0);
    expect(counts.duplicated).toBe(0);
    expect(counts.stored).toBe(counts.acknowledged);

    // After the last crash the server still starts on the same database and serves what was acknowledged.
    const server = await start();
    try {
      const res = await fetch(`${server.url}/api/v1/events?limit=1`, { headers: { authorization: `Bearer ${server.adminToken}` } });
      expect(res.status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
