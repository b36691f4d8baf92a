/**
 * The copy of every counted failed call (api/analytics/person-state/failed-calls.ts) leaves out calls refused (401 /
 * 403) for a key the API could not verify, both when it loads everyone and when it reads a person the change feed
 * named again, and it reads them from the partial index alone (SQLite: no column of the table row).
 */
import { type SQL, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createFailedCalls, failedCalls, type PersonFailures, personKeys } from '../../api/analytics/person-state/failed-calls.ts';
import { writeEvents } from '../../api/ingest/store.ts';
import type { SqlDatabase } from '../../api/storage/sql/interface.ts';
import { testDatabase } from '../support/app.ts';
import { call, type Ev, HOUR, normalized, T0 } from './support.ts';

const unverified = { key_verified: false };
const END = T0 + 24 * HOUR;

/** Refused for an unverified key (left out), and failures that count, among them 401 / 403 of verified keys. */
const calls: Ev[] = [
  call('dev', T0 + 1, 401, unverified),
  call('dev', T0 + 2, 403, { error_code: 'forbidden', ...unverified }),
  call('dev', T0 + 3, 401),
  call('dev', T0 + 4, 403, { key_verified: true }),
  call('dev', T0 + 5, 500, unverified),
  call('dev', T0 + 6, 401, { key_verified: 'false' }),
  call('dev', T0 + 7, 200, unverified),
  call('other', T0 + 1, 401, unverified),
];

const write = (database: SqlDatabase, events: Ev[]) => database.transaction((tx) => writeEvents(tx, [events.map(normalized)]));

async function pidOf(database: SqlDatabase, who: string): Promise<number> {
  const row = await database.get<{ pid: unknown }>(sql`SELECT person_id AS pid FROM person_distinct_ids WHERE distinct_id = ${who}`);
  return Number(row!.pid);
}

const sorted = (rows: PersonFailures[]) => [...rows].sort((a, b) => a.code.localeCompare(b.code));

/** The events table's cursors that the program of `query` reads a column or row id of (SQLite's EXPLAIN). */
async function tableReads(database: SqlDatabase, query: SQL): Promise<string[]> {
  const root = Number((await database.get<{ root: unknown }>(sql`SELECT rootpage AS root FROM sqlite_schema WHERE name = 'events'`))!.root);
  const program = await database.all<{ opcode: string; p1: number; p2: number }>(sql`EXPLAIN ${query}`);
  const table = new Set(program.filter((op) => op.opcode === 'OpenRead' && op.p2 === root).map((op) => op.p1));
  return program.filter((op) => table.has(op.p1) && ['Column', 'Rowid', 'SeekRowid', 'NotExists', 'FinishSeek'].includes(op.opcode)).map((op) => op.opcode);
}

describe('the in-memory failed calls', () => {
  it('leave out 401 / 403 refused for an unverified key, loaded and reloaded', async () => {
    const database = testDatabase();
    await write(database, calls);
    const dev = await pidOf(database, 'dev');
    const other = await pidOf(database, 'other');
    const copy = createFailedCalls(database);
    const stalled: Array<[number, number]> = [
      [dev, T0],
      [other, T0],
    ];
    const counted = [
      { pid: dev, code: '401', count: 2 },
      { pid: dev, code: '403', count: 1 },
      { pid: dev, code: '500', count: 1 },
    ];
    expect(sorted(await copy.byPerson(stalled, END))).toEqual(counted);
    expect((await copy.size()).calls).toBe(4);

    // The feed names `dev`: the next ask reads their range from raw events, the one after reloads them into the copy.
    await write(database, [call('dev', T0 + 8, 403, unverified), call('dev', T0 + 9, 404, unverified)]);
    const after = sorted([...counted, { pid: dev, code: '404', count: 1 }]);
    expect(sorted(await copy.byPerson(stalled, END))).toEqual(after);
    expect(sorted(await copy.byPerson(stalled, END))).toEqual(after);
    // The reloaded `dev` (5 counted calls) sits beside the base (4) until the overlay is folded in.
    expect((await copy.size()).calls).toBe(4 + 5);
    const persons = await database.all<{ person_id: unknown; code: unknown }>(failedCalls(database, personKeys(database, [dev, other])));
    expect(persons.map((row) => String(row.code))).toEqual(['401', '403', '500', '401', '404']);
  });

  it("count each code between a stalled person's start and `to`, both included", async () => {
    const database = testDatabase();
    // Codes interleaved in time: the copy orders each person's calls by code, then time.
    await write(database, [
      call('dev', T0 + 1, 500),
      call('dev', T0 + 2, 429),
      call('dev', T0 + 3, 500),
      call('dev', T0 + 4, 429),
      call('dev', T0 + 5, 500),
      call('dev', T0 + 6, 429),
    ]);
    const dev = await pidOf(database, 'dev');
    const copy = createFailedCalls(database);
    expect(sorted(await copy.byPerson([[dev, T0 + 2]], T0 + 5))).toEqual([
      { pid: dev, code: '429', count: 2 },
      { pid: dev, code: '500', count: 2 },
    ]);
    expect(await copy.byPerson([[dev, T0 + 7]], END)).toEqual([]);
  });

  it.runIf(testDatabase().dialect === 'sqlite')('read the partial index alone on SQLite', async () => {
    const database = testDatabase();
    await write(database, calls);
    for (const query of [failedCalls(database), failedCalls(database, personKeys(database, [1, 2]))]) {
      const plan = await database.all<{ detail: string }>(sql`EXPLAIN QUERY PLAN ${query}`);
      expect(plan.map((step) => step.detail).join('\n')).toMatch(/USING INDEX events_failed_call_person_timestamp/);
      // The index holds a virtual column, so SQLite never calls it covering; its program still reads no table column.
      expect(await tableReads(database, query)).toEqual([]);
    }
  });
});
