import type { Database, Statement } from 'better-sqlite3';
import { type SQL, sql } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import { countedFailedCall } from '../../../db/schema/sqlite.ts';
import type { RepeatedStatement, Row, SqlDatabase, SqlFragments } from './interface.ts';
import { boundColumnName, LOCK_BUSY } from './interface.ts';

const dialect = new SQLiteSyncDialect();

/** Quotes a JSON object key for a SQLite JSON path, so dots and `$` in it stay literal. */
function jsonPath(key: string): string {
  return `$."${key.replaceAll('"', '""')}"`;
}

/** SQLite's side of {@link SqlFragments}: JSON1 functions, BINARY collation, `INDEXED BY`. */
export const sqliteFragments: SqlFragments = {
  jsonText: (column, key) => sql`json_extract(${column}, ${jsonPath(key)})`,
  jsonNumber: (column, key) => sql`json_extract(${column}, ${jsonPath(key)})`,
  jsonValue: (value) => sql`${JSON.stringify(value)}`,
  jsonRaw: (column, key) => sql`(${column} -> ${jsonPath(key)})`,
  successCall: sql.raw(`event = 'api_call' AND json_extract(properties, '$.status') >= 200 AND json_extract(properties, '$.status') < 300`),
  countedFailedCall,
  jsonIsFalse: (column, key) => sql`(json_type(${column}, ${jsonPath(key)}) IS 'false')`,
  jsonKind: (column, key) =>
    sql`(CASE json_type(${column}, ${jsonPath(key)}) WHEN 'text' THEN 'string' WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number' WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean' ELSE json_type(${column}, ${jsonPath(key)}) END)`,
  boundRows: (rows, columns) =>
    sql`(SELECT ${sql.join(
      columns.map(([name], i) => sql`${sql.raw(`json_extract(value, '$[${i}]')`)} AS ${sql.identifier(boundColumnName(name))}`),
      sql`, `,
    )}, key AS ord FROM json_each(${JSON.stringify(rows)}))`,
  binaryCollation: sql.raw('COLLATE BINARY'),
  indexedBy: (index) => sql`INDEXED BY ${sql.identifier(index)}`,
  forUpdate: sql``,
  jsonKeys: (column, alias) =>
    sql`json_each(CASE WHEN json_type(${column}) = 'object' THEN ${column} ELSE '{}' END) AS ${sql.identifier(boundColumnName(alias))}`,
  jsonArrayIncludes: (array, value) => sql`EXISTS (SELECT 1 FROM json_each(${array}) WHERE value = ${value})`,
  jsonArrayAppend: (array, value) => sql`json_insert(${array}, '$[#]', ${value})`,
  // json_group_array of no rows is '[]', so removing the last key leaves an empty array, not NULL.
  jsonArrayRemove: (array, values) =>
    sql`(SELECT json_group_array(value) FROM json_each(${array}) WHERE value NOT IN (SELECT value FROM json_each(${JSON.stringify(values)})))`,
  // group_concat copies a blob's bytes as they are (embedded zeros included); the cast hands them back as a blob.
  concatBytes: (column) => sql`CAST(group_concat(${column}, '') AS BLOB)`,
  // One writer at a time already: nothing to wait for.
  waitForLock: () => sql`SELECT 1`,
};

const STORAGE_WIDE = /^SQLITE_(FULL|READONLY|BUSY|LOCKED|IOERR|CORRUPT|CANTOPEN|NOMEM|NOTADB|PROTOCOL)/;

/** SQLite errors about the database as a whole (full, read-only, locked…), which retrying row by row would only repeat. */
export function isSqliteStorageWide(error: unknown): boolean {
  return STORAGE_WIDE.test((error as { code?: string })?.code ?? '');
}

/** Why a SQLite storage failure stopped a write, for the 503. */
export function sqliteFailureReason(error: unknown): string {
  const code = (error as { code?: string })?.code ?? 'UNKNOWN';
  if (code.startsWith('SQLITE_FULL')) return 'the disk is full';
  if (code.startsWith('SQLITE_READONLY')) return 'the database is read-only';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'the database is locked by another process';
  return `the database failed (${code})`;
}

/** better-sqlite3 binds no booleans and no undefined: store them as 0/1 and NULL, as the schema does. */
function bindable(value: unknown): unknown {
  if (value === true) return 1;
  if (value === false) return 0;
  if (value === undefined) return null;
  return value;
}

/**
 * Statements on one better-sqlite3 connection that run synchronously, with no waiting for a transaction: for code
 * that must stay synchronous (a caller's better-sqlite3 transaction, the ingest store's SQLite driver). Prepared
 * statements are cached by their SQL text.
 *
 * @example
 * const rows = sqliteStatements(db.$client).all<{ n: number }>(sql`SELECT count(*) AS n FROM events`);
 */
export function sqliteStatements(connection: Database) {
  const statements = new Map<string, Statement>();

  function prepare(query: SQL): { statement: Statement; params: unknown[] } {
    const { sql: text, params } = dialect.sqlToQuery(query);
    let statement = statements.get(text);
    if (!statement) {
      statement = connection.prepare(text);
      if (statements.size > 500) statements.clear();
      statements.set(text, statement);
    }
    return { statement, params: params.map(bindable) };
  }

  /** Prepared statements of {@link RepeatedStatement}s, by key. */
  const repeatedStatements = new Map<string, Statement>();
  function repeated<T extends Row>({ key, query, values }: RepeatedStatement, returnsRows: boolean): T[] {
    let statement = repeatedStatements.get(key);
    if (!statement) {
      statement = prepare(query()).statement;
      repeatedStatements.set(key, statement);
    }
    if (returnsRows) return statement.all(...values) as T[];
    statement.run(...values);
    return [];
  }

  return {
    prepare,
    repeated,
    /** Every row of a query. */
    all<T extends Row>(query: SQL): T[] {
      const { statement, params } = prepare(query);
      return statement.all(...params) as T[];
    },
    /** The first row, or undefined. */
    get<T extends Row>(query: SQL): T | undefined {
      const { statement, params } = prepare(query);
      return statement.get(...params) as T | undefined;
    },
    /** Runs a statement; returns the number of rows it changed. */
    run(query: SQL): number {
      const { statement, params } = prepare(query);
      if (statement.reader) {
        statement.all(...params);
        return 0;
      }
      return statement.run(...params).changes;
    },
  };
}

/**
 * {@link SqlDatabase} on one better-sqlite3 connection. Statements run synchronously underneath; the async surface
 * lets modules be written once for both dialects. An open transaction holds the connection: statements from
 * outside it wait until it ends, so they never land inside someone else's transaction.
 *
 * @example
 * const database = sqliteDatabase(openDb('./data/onramp.db').$client);
 */
export function sqliteDatabase(connection: Database): SqlDatabase {
  /** The statements themselves, with no waiting: used by the transaction's own handle. */
  const direct = sqliteStatements(connection);
  const { prepare } = direct;

  // The connection's owner while a transaction is open; waiters are handed it in turn (FIFO).
  let held = false;
  const waiters: Array<() => void> = [];
  function acquire(): Promise<void> | undefined {
    if (!held) {
      held = true;
      return undefined;
    }
    return new Promise<void>((resolve) => waiters.push(resolve));
  }
  function release(): void {
    const next = waiters.shift();
    if (next) next();
    else held = false;
  }
  /** Runs a statement now when no transaction is open, else after the ones ahead of it. */
  async function outside<T>(statement: () => T): Promise<T> {
    if (!held) return statement();
    await acquire();
    try {
      return statement();
    } finally {
      release();
    }
  }

  async function transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    await acquire();
    try {
      connection.prepare('BEGIN IMMEDIATE').run();
      try {
        const result = await fn(inTransaction);
        connection.prepare('COMMIT').run();
        return result;
      } catch (error) {
        if (connection.inTransaction) connection.prepare('ROLLBACK').run();
        throw error;
      }
    } finally {
      release();
    }
  }

  /** The handle `fn` gets inside a transaction: no waiting (it owns the connection), nested calls run inline. */
  const inTransaction: SqlDatabase = {
    dialect: 'sqlite',
    fragments: sqliteFragments,
    all: async <T extends Row>(query: SQL) => direct.all<T>(query),
    get: async <T extends Row>(query: SQL) => direct.get<T>(query),
    run: async (query) => direct.run(query),
    transaction: (fn) => fn(inTransaction),
    transactionWithLock: (_key, fn) => fn(inTransaction),
    tryTransactionWithLock: (_key, fn) => fn(inTransaction),
    tryTransactionWithSharedLock: (_sharedKey, _key, fn) => fn(inTransaction),
    applyPartitions: 1,
    repeated: async (statement, returnsRows) => direct.repeated(statement, returnsRows),
    isStorageWide: isSqliteStorageWide,
    failureReason: sqliteFailureReason,
    stream: (query, batchRows) => streamRows(query, batchRows, false),
    close: async () => {},
  };

  async function* streamRows<T extends Row>(query: SQL, batchRows = 1000, wait = true): AsyncIterable<T[]> {
    if (wait && held) await outside(() => undefined);
    // The cursor stays open between batches: the consumer must await nothing but microtasks meanwhile (a write
    // on this connection from a timer would find it busy), which is how the reports consume it.
    const { statement, params } = prepare(query);
    let batch: T[] = [];
    for (const row of statement.iterate(...params) as IterableIterator<T>) {
      batch.push(row);
      if (batch.length >= batchRows) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  return {
    dialect: 'sqlite',
    fragments: sqliteFragments,
    all: <T extends Row>(query: SQL) => outside(() => direct.all<T>(query)),
    get: <T extends Row>(query: SQL) => outside(() => direct.get<T>(query)),
    run: (query) => outside(() => direct.run(query)),
    transaction,
    // SQLite has one writer at a time (BEGIN IMMEDIATE), which is the lock.
    transactionWithLock: (_key, fn) => transaction(fn),
    // Busy when this connection is in a transaction already; another process's write lock is waited for.
    tryTransactionWithLock: async (_key, fn) => (held ? LOCK_BUSY : transaction(fn)),
    tryTransactionWithSharedLock: async (_sharedKey, _key, fn) => (held ? LOCK_BUSY : transaction(fn)),
    applyPartitions: 1,
    repeated: (statement, returnsRows) => outside(() => direct.repeated(statement, returnsRows)),
    isStorageWide: isSqliteStorageWide,
    failureReason: sqliteFailureReason,
    stream: (query, batchRows) => streamRows(query, batchRows),
    close: async () => {
      if (connection.open) connection.close();
    },
  };
}
