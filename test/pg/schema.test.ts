import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { type OnrampDb, openDb } from '../../db/client.ts';
import { type OnrampPgDb, openPgDb, pgMigrationsFolder } from '../../db/client-pg.ts';
import { databaseDialect } from '../../db/dialect.ts';
import * as pgSchema from '../../db/schema/pg.ts';
import * as sqliteSchema from '../../db/schema/sqlite.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';

let postgres: TestPostgres;
let pgDb: OnrampPgDb;
let sqliteDb: OnrampDb;

beforeAll(async () => {
  postgres = await startPostgres();
  pgDb = await openPgDb(await postgres.createDatabase());
  sqliteDb = openDb(':memory:');
});

afterAll(async () => {
  await pgDb?.close();
  sqliteDb?.$client.close();
  await postgres?.stop();
});

/** table → column → NOT NULL, as the migrated SQLite database has them (table_xinfo includes generated columns). */
function sqliteColumns(): Map<string, Map<string, boolean>> {
  const tables = sqliteDb.$client
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__drizzle_migrations'`)
    .pluck()
    .all() as string[];
  return new Map(
    tables.map((table) => {
      const columns = sqliteDb.$client.pragma(`table_xinfo(${table})`) as { name: string; notnull: number }[];
      return [table, new Map(columns.map((c) => [c.name, c.notnull === 1]))];
    }),
  );
}

/** table → column → NOT NULL, as the migrated PostgreSQL database has them. */
async function pgColumns(): Promise<Map<string, Map<string, boolean>>> {
  const { rows } = await pgDb.$client.query<{ table_name: string; column_name: string; is_nullable: string }>(
    `SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
  );
  const tables = new Map<string, Map<string, boolean>>();
  for (const row of rows) {
    const columns = tables.get(row.table_name) ?? new Map<string, boolean>();
    columns.set(row.column_name, row.is_nullable === 'NO');
    tables.set(row.table_name, columns);
  }
  return tables;
}

const sorted = (map: Map<string, boolean>) => [...map].sort(([a], [b]) => a.localeCompare(b));

describe('PostgreSQL schema is the twin of the SQLite one', () => {
  it('has every SQLite table with the same columns and nullability, and no other tables', async () => {
    const sqlite = sqliteColumns();
    const pg = await pgColumns();
    expect(sqlite.size).toBeGreaterThan(10);
    for (const [table, columns] of sqlite) {
      expect(pg.has(table), `PostgreSQL lacks table ${table}`).toBe(true);
      expect(sorted(pg.get(table)!), `columns of ${table}`).toEqual(sorted(columns));
    }
    const pgOnly = [...pg.keys()].filter((table) => !sqlite.has(table));
    expect(pgOnly).toEqual([]);
  });

  it('has the same index names on the same tables', async () => {
    const sqlite = sqliteDb.$client
      .prepare(`SELECT tbl_name || '.' || name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'`)
      .pluck()
      .all() as string[];
    const { rows } = await pgDb.$client.query<{ name: string }>(
      // Primary keys by pg_index, not by a `_pkey` suffix: a long composite key's name is cut at 63 bytes.
      `SELECT t.relname || '.' || i.relname AS name FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public' AND NOT x.indisprimary`,
    );
    const pg = rows.map((row) => row.name);
    expect(pg.sort()).toEqual(sqlite.sort());
  });

  it('gives rows the same TypeScript types in both dialects', () => {
    expectTypeOf<typeof pgSchema.events.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.events.$inferSelect>();
    expectTypeOf<typeof pgSchema.events.$inferInsert>().toEqualTypeOf<typeof sqliteSchema.events.$inferInsert>();
    expectTypeOf<typeof pgSchema.persons.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.persons.$inferSelect>();
    expectTypeOf<typeof pgSchema.personDistinctIds.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.personDistinctIds.$inferSelect>();
    expectTypeOf<typeof pgSchema.accounts.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.accounts.$inferSelect>();
    expectTypeOf<typeof pgSchema.apiKeys.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.apiKeys.$inferSelect>();
    expectTypeOf<typeof pgSchema.sandboxCalls.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.sandboxCalls.$inferSelect>();
    expectTypeOf<typeof pgSchema.importCheckpoints.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.importCheckpoints.$inferSelect>();
    expectTypeOf<typeof pgSchema.alertRules.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.alertRules.$inferSelect>();
    expectTypeOf<typeof pgSchema.adminSessions.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.adminSessions.$inferSelect>();
    expectTypeOf<typeof pgSchema.portalSessions.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.portalSessions.$inferSelect>();
    expectTypeOf<typeof pgSchema.sandboxMessages.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.sandboxMessages.$inferSelect>();
    expectTypeOf<typeof pgSchema.rateLimits.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.rateLimits.$inferSelect>();
    expectTypeOf<typeof pgSchema.supportTickets.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.supportTickets.$inferSelect>();
    expectTypeOf<typeof pgSchema.alertDeliveries.$inferSelect>().toEqualTypeOf<typeof sqliteSchema.alertDeliveries.$inferSelect>();
  });
});

describe('report helper columns', () => {
  /** Properties whose helper values both dialects must agree on. */
  const agreed: [event: string, properties: Record<string, unknown>][] = [
    ['api_call', { status: 200, endpoint: '/v1/messages', duration_ms: 35 }],
    ['api_call', { status: 201, endpoint: '/v1/messages', duration_ms: 12.5, error_code: null }],
    ['api_call', { status: 404, endpoint: '/v1/messages/x', error_code: 'not_found' }],
    ['api_call', { status: 500, endpoint: '/v1/messages' }],
    ['api_call', { status: 429 }],
    ['api_call', { status: 200, error_code: 'partial_failure' }],
    ['api_call', { status: '503', duration_ms: '40' }],
    ['api_call', {}],
    ['$pageview', { $pathname: '/docs/quickstart', status: 500 }],
    ['signup', { status: 500, endpoint: '/x', $pathname: '/y', error_code: 'z' }],
  ];
  const helpers = sql`call_error_code AS "callErrorCode", call_status AS "callStatus", pageview_path AS "pageviewPath"`;

  it('match SQLite for the same events', async () => {
    const [sqlitePerson] = sqliteDb.insert(sqliteSchema.persons).values({ uuid: crypto.randomUUID(), createdAt: 0 }).returning().all();
    const [pgPerson] = await pgDb.insert(pgSchema.persons).values({ uuid: crypto.randomUUID(), createdAt: 0 }).returning();
    const rows = (personId: number) =>
      agreed.map(([event, properties], i) => ({
        uuid: crypto.randomUUID(),
        event,
        distinctId: 'd',
        personId,
        timestamp: i,
        receivedAt: i,
        properties: JSON.stringify(properties),
      }));
    sqliteDb.insert(sqliteSchema.events).values(rows(sqlitePerson!.id)).run();
    await pgDb.insert(pgSchema.events).values(rows(pgPerson!.id));
    const fromSqlite = sqliteDb.all(sql`SELECT ${helpers} FROM events ORDER BY timestamp`);
    const fromPg = (await pgDb.execute(sql`SELECT ${helpers} FROM events WHERE person_id = ${pgPerson!.id} ORDER BY timestamp`)).rows;
    expect(fromPg).toEqual(fromSqlite);
    expect(fromPg[6]).toEqual({ callErrorCode: '503', callStatus: 503, pageviewPath: null });
  });

  it('never make an insert fail, whatever the client sent', async () => {
    const [person] = await pgDb.insert(pgSchema.persons).values({ uuid: crypto.randomUUID(), createdAt: 0 }).returning();
    const hostile = [
      '{"status": 1e400, "duration_ms": 1e-400}',
      '{"status": "abc", "duration_ms": "9e9999"}',
      JSON.stringify({ status: '9'.repeat(500), duration_ms: [1], endpoint: { a: 1 } }),
      JSON.stringify({ status: 500, endpoint: 'é'.repeat(5000), error_code: '錯'.repeat(5000) }),
    ];
    const rows = hostile.map((properties, i) => ({
      uuid: crypto.randomUUID(),
      event: 'api_call',
      distinctId: 'd',
      personId: person!.id,
      timestamp: i,
      receivedAt: i,
      properties,
    }));
    rows.push({ ...rows[0]!, uuid: crypto.randomUUID(), event: '$pageview', properties: JSON.stringify({ $pathname: `/${'頁'.repeat(5000)}` }) });
    await pgDb.insert(pgSchema.events).values(rows);
    const stored = (await pgDb.execute(sql`SELECT ${helpers} FROM events WHERE person_id = ${person!.id} ORDER BY id`)).rows;
    expect(stored.map((row) => row.callStatus)).toEqual([null, null, null, 500, null]);
    expect(String(stored[3]!.callErrorCode)).toHaveLength(256);
    expect(String(stored[4]!.pageviewPath)).toHaveLength(512);
  });

  it('read properties back as JSON text, like the SQLite text column', async () => {
    const [person] = await pgDb.insert(pgSchema.persons).values({ uuid: crypto.randomUUID(), createdAt: 0, properties: '{"plan":"pro","n":1}' }).returning();
    expect(JSON.parse(person!.properties)).toEqual({ plan: 'pro', n: 1 });
    await expect(pgDb.insert(pgSchema.persons).values({ uuid: crypto.randomUUID(), createdAt: 0, properties: '{oops' })).rejects.toThrow();
  });
});

describe('openPgDb', () => {
  const journalEntries = () => (JSON.parse(readFileSync(join(pgMigrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length;
  const appliedMigrations = async (db: OnrampPgDb) =>
    Number((await db.execute<{ n: string }>(sql`SELECT COUNT(*) AS n FROM drizzle.__drizzle_migrations`)).rows[0]!.n);

  it('applies each migration once when opened again', async () => {
    const url = await postgres.createDatabase();
    const first = await openPgDb(url);
    await first.insert(pgSchema.accounts).values({ id: 'acct_1', email: 'a@x.io', passwordHash: 'h', createdAt: 1 });
    await first.close();
    const second = await openPgDb(url);
    expect(await appliedMigrations(second)).toBe(journalEntries());
    expect(await second.select().from(pgSchema.accounts)).toHaveLength(1);
    await second.close();
    await second.close();
  });

  it('lets instances starting together on a fresh database migrate one after the other', async () => {
    const url = await postgres.createDatabase();
    const instances = await Promise.all([openPgDb(url), openPgDb(url), openPgDb(url)]);
    expect(await appliedMigrations(instances[0]!)).toBe(journalEntries());
    await Promise.all(instances.map((db) => db.close()));
  });

  it('names its connections onramp', async () => {
    const { rows } = await pgDb.$client.query<{ name: string }>('SELECT application_name AS name FROM pg_stat_activity WHERE pid = pg_backend_pid()');
    expect(rows[0]!.name).toBe('onramp');
  });

  it('fails to open on a database that does not exist', async () => {
    const url = new URL(postgres.url);
    url.pathname = '/onramp_missing';
    await expect(openPgDb(url.toString())).rejects.toThrow(/onramp_missing/);
  });
});

describe.each([
  ['postgres://onramp:secret@db.internal:5432/onramp', 'postgres'],
  ['postgresql://db/onramp?sslmode=require', 'postgres'],
  ['POSTGRES://db/onramp', 'postgres'],
  ['file:./data/onramp.db', 'sqlite'],
  ['file::memory:', 'sqlite'],
  [':memory:', 'sqlite'],
  ['./data/onramp.db', 'sqlite'],
  ['/var/lib/onramp/onramp.db', 'sqlite'],
  ['C:\\onramp\\onramp.db', 'sqlite'],
] as const)('databaseDialect(%s)', (url, dialect) => {
  it(`is ${dialect}`, () => {
    expect(databaseDialect(url)).toBe(dialect);
  });
});

describe.each(['mysql://db/onramp', 'sqlite:///data/onramp.db', 'https://db.example/onramp'])('databaseDialect(%s)', (url) => {
  it('throws one line naming DATABASE_URL and the scheme', () => {
    const scheme = url.slice(0, url.indexOf(':') + 1);
    expect(() => databaseDialect(url)).toThrow(`Invalid environment variable DATABASE_URL: unsupported scheme "${scheme}"`);
    expect(() => databaseDialect(url)).not.toThrow(/\n/);
  });
});
