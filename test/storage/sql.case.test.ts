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

  it('normalizes booleans and JSON columns', () => {
    expect([asBoolean(1), asBoolean(true), asBoolean(0), asBoolean(false), asBoolean(null)]).toEqual([true, true, false, false, false]);
    expect(parseJsonColumn('{"a":1}')).toEqual({ a: 1 });
    expect(parseJsonColumn({ a: 1 })).toEqual({ a: 1 });
  });
});
