import { PgTable, getTableConfig as pgTableConfig } from 'drizzle-orm/pg-core';
import { SQLiteTable, getTableConfig as sqliteTableConfig } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pgSchema from '../../db/schema/pg.ts';
import * as sqliteSchema from '../../db/schema/sqlite.ts';

/**
 * Keeps db/schema/sqlite.ts and db/schema/pg.ts equivalent, read from the drizzle definitions themselves (no database
 * needed): the same tables, the same columns in the same order with compatible types, nullability, primary keys and
 * generated columns, and the same indexes by name. test/pg/schema.test.ts checks the migrated databases as well.
 */

/** PostgreSQL column types that hold what each SQLite storage class holds. */
const COMPATIBLE_PG_TYPES: Record<string, readonly string[]> = {
  text: ['text', 'jsonb'],
  integer: ['integer', 'bigint', 'boolean', 'double precision'],
  real: ['double precision'],
  blob: ['bytea'],
};

/** drizzle's TypeScript data type of a column; custom PostgreSQL columns are named by their SQL type. */
const PG_CUSTOM_DATA_TYPES: Record<string, string> = { jsonb: 'string', bytea: 'buffer' };

interface ColumnShape {
  name: string;
  sqlType: string;
  dataType: string;
  notNull: boolean;
  primary: boolean;
  generated: boolean;
}

interface TableShape {
  columns: ColumnShape[];
  indexes: { name: string; unique: boolean }[];
}

type AnyColumn = { name: string; getSQLType(): string; dataType: string; notNull: boolean; primary: boolean; generated?: unknown };

const columnShape = (column: AnyColumn, dataType = column.dataType): ColumnShape => ({
  name: column.name,
  sqlType: column.getSQLType(),
  dataType,
  notNull: column.notNull,
  primary: column.primary,
  generated: column.generated !== undefined,
});

function sqliteTables(): Map<string, TableShape> {
  const tables = new Map<string, TableShape>();
  for (const value of Object.values(sqliteSchema)) {
    if (!(value instanceof SQLiteTable)) continue;
    const config = sqliteTableConfig(value);
    tables.set(config.name, {
      columns: config.columns.map((column) => columnShape(column)),
      indexes: config.indexes.map((index) => ({ name: index.config.name, unique: index.config.unique })),
    });
  }
  return tables;
}

function pgTables(): Map<string, TableShape> {
  const tables = new Map<string, TableShape>();
  for (const value of Object.values(pgSchema)) {
    if (!(value instanceof PgTable)) continue;
    const config = pgTableConfig(value);
    tables.set(config.name, {
      columns: config.columns.map((column) => columnShape(column, PG_CUSTOM_DATA_TYPES[column.getSQLType()] ?? column.dataType)),
      indexes: config.indexes.map((index) => ({ name: index.config.name ?? '', unique: index.config.unique })),
    });
  }
  return tables;
}

const sqlite = sqliteTables();
const pg = pgTables();

describe('db/schema/sqlite.ts and db/schema/pg.ts', () => {
  it('define the same tables', () => {
    expect(sqlite.size).toBeGreaterThan(10);
    expect([...pg.keys()].sort()).toEqual([...sqlite.keys()].sort());
  });

  describe.each([...sqlite.keys()])('table %s', (table) => {
    const sqliteTable = sqlite.get(table)!;
    const pgTable = pg.get(table);

    it('has the same columns in the same order', () => {
      expect(pgTable?.columns.map((column) => column.name)).toEqual(sqliteTable.columns.map((column) => column.name));
    });

    it('gives each column a compatible type, the same TypeScript type, nullability, key and generation', () => {
      for (const [i, column] of sqliteTable.columns.entries()) {
        const twin = pgTable?.columns[i];
        expect(twin?.name, `column ${i} of ${table}`).toBe(column.name);
        expect(COMPATIBLE_PG_TYPES[column.sqlType], `${table}.${column.name}: SQLite type ${column.sqlType}`).toContain(twin!.sqlType);
        expect({ ...twin, sqlType: undefined }, `${table}.${column.name}`).toEqual({ ...column, sqlType: undefined });
      }
    });

    it('has the same indexes by name', () => {
      const byName = (shape: TableShape | undefined) => [...(shape?.indexes ?? [])].sort((a, b) => a.name.localeCompare(b.name));
      expect(byName(pgTable)).toEqual(byName(sqliteTable));
    });
  });
});
