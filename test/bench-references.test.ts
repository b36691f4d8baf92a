/**
 * The reference designs the ingest and import benchmarks print beside Onramp's figures must really be what the
 * performance notes describe: the server stores each event before its 200, and both deduplicate by uuid.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { referenceInsert } from './bench/reference-insert.ts';
import { freePort } from './support/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'onramp-bench-reference-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = (uuid: string, i: number) => ({
  uuid,
  event: '$pageview',
  timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  properties: { distinct_id: `user-${i}`, $pathname: '/docs/' },
});
const uuids = ['0193a1b2-c3d4-7e5f-8a9b-000000000001', '0193a1b2-c3d4-7e5f-8a9b-000000000002', '0193a1b2-c3d4-7e5f-8a9b-000000000003'];

describe('bench:ingest reference server', () => {
  it('answers 200 only once the event is committed, and stores a repeated uuid once', async () => {
    const dbPath = join(dir, 'server.db');
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/reference-server.ts'], {
      env: { ...process.env, PORT: String(port), REFERENCE_DB: dbPath },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => String(d).includes('reference listening') && resolve());
        child.once('exit', (code) => reject(new Error(`reference server exited with ${code}`)));
      });
      const reader = new Database(dbPath, { readonly: true });
      const count = () => reader.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
      const sent = [uuids[0]!, uuids[1]!, uuids[0]!, uuids[2]!];
      const counts: number[] = [];
      for (const [i, uuid] of sent.entries()) {
        const res = await fetch(`http://127.0.0.1:${port}/i/v0/e/`, { method: 'POST', body: JSON.stringify(event(uuid, i)) });
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ status: 1 });
        counts.push(count());
      }
      reader.close();
      expect(counts).toEqual([1, 2, 2, 3]);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('bench:import reference insert', () => {
  it('stores every line of an export once per uuid', async () => {
    const file = join(dir, 'export.jsonl');
    // PostHog's export shape: distinct_id beside the event, not in its properties.
    const lines = [...uuids, uuids[1]!].map((uuid, i) => JSON.stringify({ ...event(uuid, i), distinct_id: `user-${i}` }));
    writeFileSync(file, `${lines.join('\n')}\n\n`);
    const dbPath = join(dir, 'import.db');
    const result = await referenceInsert(file, dbPath);
    expect(result).toMatchObject({ rows: 4, inserted: 3 });
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT uuid FROM events ORDER BY id').pluck().all()).toEqual(uuids);
    db.close();
  });
});

describe('bench:apply', () => {
  it('applies every logged event and prints the decomposition and the floor', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/apply-parts.ts'], {
      env: { ...process.env, BENCH_EVENTS: '3000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += String(d);
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(out).toMatch(/SQL: events\s+\d+\.\d+ µs\/event/);
    expect(out).toMatch(/floor of any apply .* at most [\d,]+ events\/s/);
  }, 120_000);
});
