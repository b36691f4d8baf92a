import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { asBoolean, parseJsonColumn } from '../../api/storage/sql/interface.ts';
import { testDatabase } from '../support/app.ts';

/** The dialect layer every storage module is written against: the same answers on SQLite and PostgreSQL. */
describe('SqlDatabase', () => {
  it('binds values as placeholders and returns numbers as numbers', async () => {
    const database = testDatabase();
    await database.run(sql`INSERT INTO rate_limits (bucket, count, reset_at) VALUES (${"x'); DROP TABLE events; --"}, ${3}, ${1_700_000_000_000})`);
    const row = await database.get<{ bucket: string; count: number; reset_at: number; n: number }>(
      sql`SELECT bucket, count, reset_at, (SELECT count(*) FROM rate_limits) AS n FROM rate_limits`,
    );
    expect(row).toEqual({ bucket: "x'); DROP TABLE events; --", count: 3, reset_at: 1_700_000_000_000, n: 1 });
    expect(await database.get(sql`SELECT bucket FROM rate_limits WHERE bucket = ${'missing'}`)).toBeUndefined();
  });

  it('reports how many rows a statement changed', async () => {
    const database = testDatabase();
    for (const bucket of ['a', 'b', 'c']) await database.run(sql`INSERT INTO rate_limits (bucket, count, reset_at) VALUES (${bucket}, 1, 1)`);
    expect(await database.run(sql`UPDATE rate_limits SET count = count + 1 WHERE bucket <> ${'a'}`)).toBe(2);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const database = testDatabase();
    await database.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO rate_limits (bucket, count, reset_at) VALUES ('kept', 1, 1)`);
    });
    await expect(
      database.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO rate_limits (bucket, count, reset_at) VALUES ('lost', 1, 1)`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const rows = await database.all<{ bucket: string }>(sql`SELECT bucket FROM rate_limits ORDER BY bucket`);
    expect(rows.map((r) => r.bucket)).toEqual(['kept']);
  });

  it('keeps statements from outside out of an open transaction', async () => {
    const database = testDatabase();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const inside = database.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO rate_limits (bucket, count, reset_at) VALUES ('inside', 1, 1)`);
      await held;
      throw new Error('rolled back');
    });
    const outside = database.run(sql`INSERT INTO rate_limits (bucket, count, reset_at) VALUES ('outside', 1, 1)`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    await expect(inside).rejects.toThrow('rolled back');
    await outside;
    const rows = await database.all<{ bucket: string }>(sql`SELECT bucket FROM rate_limits`);
    expect(rows.map((r) => r.bucket)).toEqual(['outside']);
  });

  it('runs locked transactions one at a time', async () => {
    const database = testDatabase();
    await database.run(sql`INSERT INTO rate_limits (bucket, count, reset_at) VALUES ('n', 0, 1)`);
    const bump = () =>
      database.transactionWithLock('test-counter', async (tx) => {
        const row = await tx.get<{ count: number }>(sql`SELECT count FROM rate_limits WHERE bucket = 'n'`);
        await tx.run(sql`UPDATE rate_limits SET count = ${row!.count + 1} WHERE bucket = 'n'`);
      });
    await Promise.all(Array.from({ length: 8 }, bump));
    expect(await database.get(sql`SELECT count FROM rate_limits WHERE bucket = 'n'`)).toEqual({ count: 8 });
  });

  it('streams a result in batches', async () => {
    const database = testDatabase();
    await database.run(
      sql`INSERT INTO rate_limits (bucket, count, reset_at) SELECT 'b' || n, n, 1 FROM (${database.dialect === 'sqlite' ? sql`WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 2500) SELECT n FROM s` : sql`SELECT generate_series(1, 2500) AS n`}) AS numbers`,
    );
    const sizes: number[] = [];
    let total = 0;
    for await (const batch of database.stream<{ count: number }>(sql`SELECT count FROM rate_limits ORDER BY count`, 1000)) {
      sizes.push(batch.length);
      total += batch.reduce((sum, row) => sum + row.count, 0);
    }
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(total).toBe((2500 * 2501) / 2);
  });

  it('reads JSON properties and compares text byte-wise', async () => {
    const database = testDatabase();
    const f = database.fragments;
    const props = f.jsonValue({ 'a.b': 'dotted', status: 201, name: 'x' });
    const row = await database.get<{ dotted: string; status: number; missing: unknown; text: string }>(
      sql`SELECT ${f.jsonText(props, 'a.b')} AS dotted, ${f.jsonNumber(props, 'status')} AS status, ${f.jsonText(props, 'nope')} AS missing, ${f.jsonText(props, 'status')} AS text`,
    );
    expect(row).toMatchObject({ dotted: 'dotted', status: 201, missing: null });
    expect(String(row!.text)).toBe('201');
    const order = await database.all<{ v: string }>(
      sql`SELECT v FROM (SELECT 'b' AS v UNION ALL SELECT 'B' UNION ALL SELECT 'a' UNION ALL SELECT 'é') AS t ORDER BY v ${f.binaryCollation}`,
    );
    expect(order.map((r) => r.v)).toEqual(['B', 'a', 'b', 'é']);
  });

  it('selects from a bound list of rows, in order, with integers and text', async () => {
    const database = testDatabase();
    const rows = await database.all<{ pid: number; label: string | null; ord: number }>(
      sql`SELECT pid, label, ord FROM ${database.fragments.boundRows(
        [
          [3, 'c'],
          [1_700_000_000_123, null],
          [2, "it's"],
        ],
        [
          ['pid', 'integer'],
          ['label', 'text'],
        ],
      )} AS b ORDER BY ord`,
    );
    expect(rows).toEqual([
      { pid: 3, label: 'c', ord: 0 },
      { pid: 1_700_000_000_123, label: null, ord: 1 },
      { pid: 2, label: "it's", ord: 2 },
    ]);
    expect(() => database.fragments.boundRows([], [['x; DROP', 'text']])).toThrow(/identifier/);
  });

  it('tells successful calls and JSON false apart', async () => {
    const database = testDatabase();
    const f = database.fragments;
    const calls: Array<[string, Record<string, unknown>]> = [
      ['api_call', { status: 200, key_verified: false }],
      ['api_call', { status: 299, key_verified: 0 }],
      ['api_call', { status: 300, key_verified: 'false' }],
      ['api_call', { status: 199, key_verified: true }],
      ['signed_up', { status: 200 }],
    ];
    await database.run(sql`INSERT INTO persons (id, uuid, created_at) VALUES (1, 'p', 0)`);
    for (const [i, [event, properties]] of calls.entries()) {
      await database.run(
        sql`INSERT INTO events (uuid, event, distinct_id, person_id, timestamp, received_at, properties) VALUES (${`u${i}`}, ${event}, 'd', 1, ${i}, ${i}, ${f.jsonValue(properties)})`,
      );
    }
    const rows = await database.all<{ timestamp: number; success: unknown; unverified: unknown }>(
      sql`SELECT timestamp, ${f.successCall} AS success, ${f.jsonIsFalse(sql`properties`, 'key_verified')} AS unverified FROM events ORDER BY timestamp`,
    );
    expect(rows.map((r) => [asBoolean(r.success), asBoolean(r.unverified)])).toEqual([
      [true, true],
      [true, false],
      [false, false],
      [false, false],
      [false, false],
    ]);
  });

  it('names JSON property types alike on both dialects', async () => {
    const database = testDatabase();
    const f = database.fragments;
    const props = f.jsonValue({ s: 'x', i: 3, r: 1.5, t: true, n: null, o: {}, a: [] });
    const row = await database.get(
      sql`SELECT ${f.jsonKind(props, 's')} AS s, ${f.jsonKind(props, 'i')} AS i, ${f.jsonKind(props, 'r')} AS r, ${f.jsonKind(props, 't')} AS t,
        ${f.jsonKind(props, 'n')} AS n, ${f.jsonKind(props, 'o')} AS o, ${f.jsonKind(props, 'a')} AS a, ${f.jsonKind(props, 'missing')} AS missing`,
    );
    expect(row).toEqual({ s: 'string', i: 'number', r: 'number', t: 'boolean', n: 'null', o: 'object', a: 'array', missing: null });
  });

  it('lists the top-level keys of JSON objects, and none of other values', async () => {
    const database = testDatabase();
    const f = database.fragments;
    const docs: Array<[string, unknown]> = [
      ['k-1', { b: 1, a: { nested: true } }],
      ['k-2', [1, 2]],
      ['k-3', 'text'],
      ['k-4', { a: null }],
    ];
    for (const [uuid, doc] of docs) await database.run(sql`INSERT INTO persons (uuid, properties, created_at) VALUES (${uuid}, ${f.jsonValue(doc)}, 0)`);
    const rows = await database.all<{ uuid: string; key: string }>(
      sql`SELECT p.uuid AS uuid, k.key AS key FROM persons p, ${f.jsonKeys(sql`p.properties`, 'k')} WHERE p.uuid LIKE 'k-%' ORDER BY p.uuid, k.key`,
    );
    expect(rows.map((r) => [r.uuid, r.key])).toEqual([
      ['k-1', 'a'],
      ['k-1', 'b'],
      ['k-4', 'a'],
    ]);
  });

  it('reads a JSON property as JSON text that parses to the same value on both dialects', async () => {
    const database = testDatabase();
    const f = database.fragments;
    const props = f.jsonValue({ s: 'x', i: 3, r: 1.5, t: true, n: null, o: { k: [1, 'b'] } });
    const row = await database.get<Record<string, string | null>>(
      sql`SELECT ${f.jsonRaw(props, 's')} AS s, ${f.jsonRaw(props, 'i')} AS i, ${f.jsonRaw(props, 'r')} AS r, ${f.jsonRaw(props, 't')} AS t,
        ${f.jsonRaw(props, 'n')} AS n, ${f.jsonRaw(props, 'o')} AS o, ${f.jsonRaw(props, 'missing')} AS missing`,
    );
    const parsed = Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, v === null ? undefined : JSON.parse(v)]));
    expect(parsed).toEqual({ s: 'x', i: 3, r: 1.5, t: true, n: null, o: { k: [1, 'b'] }, missing: undefined });
  });

  it('edits a JSON array of strings kept as text: includes, append, remove', async () => {
    const database = testDatabase();
    const f = database.fragments;
    const array = sql`${'["a","b.c","it\'s"]'}`;
    const row = await database.get<{ has: unknown; lacks: unknown; appended: string; removed: string; emptied: string }>(
      sql`SELECT ${f.jsonArrayIncludes(array, 'b.c')} AS has, ${f.jsonArrayIncludes(array, 'b')} AS lacks,
        ${f.jsonArrayAppend(array, 'd')} AS appended, ${f.jsonArrayRemove(array, ['a', "it's", 'zz'])} AS removed,
        ${f.jsonArrayRemove(sql`${'["a"]'}`, ['a'])} AS emptied`,
    );
    expect([asBoolean(row!.has), asBoolean(row!.lacks)]).toEqual([true, false]);
    expect(JSON.parse(row!.appended)).toEqual(['a', 'b.c', "it's", 'd']);
    expect(JSON.parse(row!.removed)).toEqual(['b.c']);
    expect(JSON.parse(row!.emptied)).toEqual([]);
  });

  it('lays the byte strings of a group end to end, zero bytes and high bytes kept', async () => {
    const database = testDatabase();
    const parts = [Buffer.from([1, 0, 2, 255]), Buffer.from([0, 128, 0]), Buffer.from([7])];
    for (const [i, sketch] of parts.entries()) {
      await database.run(
        sql`INSERT INTO api_call_rollups (span, bucket_start, endpoint, method, status, code, flags, calls, sketch) VALUES (60000, 0, ${`/e${i}`}, '', 200, '', 0, 1, ${sketch})`,
      );
    }
    const row = await database.get<{ bytes: Uint8Array }>(
      sql`SELECT ${database.fragments.concatBytes(sql`sketch`)} AS bytes FROM api_call_rollups GROUP BY span`,
    );
    const bytes = Buffer.from(row!.bytes);
    expect(bytes.length).toBe(8);
    // In no set order: every part is there once.
    expect([...bytes].sort((a, b) => a - b)).toEqual([...Buffer.concat(parts)].sort((a, b) => a - b));
    for (const part of parts) expect(bytes.includes(part)).toBe(true);
  });

  it('keeps a read-modify-write transaction whole when its SELECT locks the rows it read', async () => {
    const database = testDatabase();
    const f = database.fragments;
    await database.run(sql`INSERT INTO rate_limits (bucket, count, reset_at) VALUES ('n', 0, 1)`);
    const bump = () =>
      database.transaction(async (tx) => {
        const row = await tx.get<{ count: number }>(sql`SELECT count FROM rate_limits WHERE bucket = 'n' ${f.forUpdate}`);
        await tx.run(sql`UPDATE rate_limits SET count = ${row!.count + 1} WHERE bucket = 'n'`);
      });
    await Promise.all(Array.from({ length: 8 }, bump));
    expect(await database.get(sql`SELECT count FROM rate_limits WHERE bucket = 'n'`)).toEqual({ count: 8 });
  });

  it('normalizes booleans and JSON columns', () => {
    expect([asBoolean(1), asBoolean(true), asBoolean(0), asBoolean(false), asBoolean(null)]).toEqual([true, true, false, false, false]);
    expect(parseJsonColumn('{"a":1}')).toEqual({ a: 1 });
    expect(parseJsonColumn({ a: 1 })).toEqual({ a: 1 });
  });
});
