import type { SQL } from 'drizzle-orm';
import type { DatabaseDialect } from '../../../db/dialect.ts';

/** A result row as the driver returns it, keyed by column name or alias. */
export type Row = Record<string, unknown>;

/**
 * A statement run many times with one SQL text (the ingest store's multi-row inserts and padded lookups): `key` names
 * that text, `values` are its bound values in the order `query()` binds them. Rendering a drizzle template of hundreds
 * of values each time cost about a third of applying a chunk on SQLite, so SQLite prepares the text once per key and
 * binds `values` directly; PostgreSQL renders `query()` as any other statement.
 */
export interface RepeatedStatement {
  key: string;
  query: () => SQL;
  values: ReadonlyArray<string | number | null | Buffer>;
}

/** What {@link SqlDatabase.tryTransactionWithLock} answers when another session holds the lock. */
export const LOCK_BUSY = 'busy';

/** A column of {@link SqlFragments.boundRows}: its name and whether it holds integers or text. */
export type BoundColumn = readonly [name: string, type: 'integer' | 'text'];

/** Checks a column name of {@link SqlFragments.boundRows}, which is written into the SQL text. */
export function boundColumnName(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/i.test(name)) throw new Error(`boundRows: column name must be an identifier: ${name}`);
  return name;
}

/**
 * The few SQL fragments whose text differs between SQLite and PostgreSQL. Everything else is one SQL text,
 * written once with drizzle's `sql` template (user values always bound as placeholders).
 *
 * @example
 * const { fragments: f } = database;
 * await database.all(sql`SELECT ${f.jsonText(sql`properties`, 'path')} AS path FROM events`);
 */
export interface SqlFragments {
  /** A top-level JSON property of a text (SQLite) or jsonb (PostgreSQL) column, as text; NULL when absent. */
  jsonText(column: SQL, key: string): SQL;
  /** A top-level JSON property as a number (NULL when absent or not numeric-looking on PostgreSQL). */
  jsonNumber(column: SQL, key: string): SQL;
  /** A bound value to be stored in a JSON column (text on SQLite, jsonb on PostgreSQL). */
  jsonValue(value: unknown): SQL;
  /**
   * A successful (2xx) `api_call` row of `events` (columns unqualified): SQLite reads the JSON status, PostgreSQL the
   * stored `call_status` column.
   */
  readonly successCall: SQL;
  /**
   * A counted failed call of `events` (columns unqualified: join only tables without `call_error_code`, `call_status`
   * and `properties` columns): a failed `api_call` not refused for an unverified key. The condition of the partial
   * index `events_failed_call_person_timestamp` as the schema writes it (db/schema/*.ts `countedFailedCall`), so a
   * query repeating it reads that index alone.
   */
  readonly countedFailedCall: SQL;
  /** Whether a top-level JSON property is the JSON value `false` (not 0, not "false"); false when absent, never NULL. */
  jsonIsFalse(column: SQL, key: string): SQL;
  /**
   * The JSON type of a top-level property, the same names on both dialects: 'string', 'number', 'boolean', 'object',
   * 'array' or 'null'; NULL when absent.
   */
  jsonKind(column: SQL, key: string): SQL;
  /** A top-level JSON property as JSON text (`"a"`, `1.5`, `true`, `{"k":1}`, `null`), NULL when absent; parse it in JS. */
  jsonRaw(column: SQL, key: string): SQL;
  /**
   * A list of bound rows as a table to select from: `(SELECT <columns>, ord FROM ...)`, one row per entry of `rows` in
   * their order, `ord` its 0-based position. The whole list is one bound JSON value, so its length does not change the
   * SQL text. Column names must be plain identifiers.
   */
  boundRows(rows: ReadonlyArray<ReadonlyArray<string | number | null>>, columns: ReadonlyArray<BoundColumn>): SQL;
  /**
   * The top-level keys of a JSON object column as a table to join (`FROM events e, ${f.jsonKeys(sql`e.properties`, 'k')}`),
   * one row per key with the column `<alias>.key`; a value that is not an object has no keys.
   */
  jsonKeys(column: SQL, alias: string): SQL;
  /** Byte-wise comparison for ORDER BY / comparisons on text, e.g. `name ${f.binaryCollation}`. */
  readonly binaryCollation: SQL;
  /** `INDEXED BY <index>` after a table name on SQLite (the planner's hint); nothing on PostgreSQL. */
  indexedBy(index: string): SQL;
  /**
   * After a SELECT inside a transaction: locks the rows read until it ends (`FOR UPDATE` on PostgreSQL), so a
   * read-modify-write is not lost to a concurrent one. Nothing on SQLite, whose transactions hold the write lock.
   */
  readonly forUpdate: SQL;
  /** Whether a JSON array of strings stored as text contains `value` (a boolean condition). */
  jsonArrayIncludes(array: SQL, value: string): SQL;
  /** A JSON array of strings stored as text, with `value` appended; the result is text again. */
  jsonArrayAppend(array: SQL, value: string): SQL;
  /** A JSON array of strings stored as text, without any of `values` (order kept); the result is text again. */
  jsonArrayRemove(array: SQL, values: readonly string[]): SQL;
  /** An aggregate: the byte strings of a BLOB / bytea column of the group laid end to end, in no set order. */
  concatBytes(column: SQL): SQL;
  /**
   * A statement that waits for the lock named `name` and holds it until the transaction ends
   * (`pg_advisory_xact_lock`): for the last statements of transactions that otherwise run side by side. Only
   * PostgreSQL has concurrent writers; on SQLite it is a no-op statement.
   */
  waitForLock(name: string): SQL;
}

/**
 * One database, SQLite or PostgreSQL, behind the same async surface: every storage module is written once
 * against it. The dialect modules (`sqlite.ts`, `postgres.ts` beside this file) hold what truly differs:
 * connection, transactions, streaming, advisory locks and {@link SqlFragments}.
 *
 * Values come back normalized: 64-bit integers and numerics as JS numbers on both dialects, JSON columns as
 * the driver gives them (use {@link parseJsonColumn}), booleans as stored (use {@link asBoolean}).
 *
 * @example
 * const row = await database.get<{ n: number }>(sql`SELECT count(*) AS n FROM api_keys WHERE account_id = ${id}`);
 */
export interface SqlDatabase {
  readonly dialect: DatabaseDialect;
  readonly fragments: SqlFragments;
  /** Every row of a query. */
  all<T extends Row = Row>(query: SQL): Promise<T[]>;
  /** The first row, or undefined. */
  get<T extends Row = Row>(query: SQL): Promise<T | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(query: SQL): Promise<number>;
  /**
   * Runs `fn` in one transaction (BEGIN IMMEDIATE on SQLite, so writers queue instead of failing). Commits when
   * `fn` resolves, rolls back when it throws. Inside, use only `tx`; on SQLite `fn` must await nothing but `tx`,
   * since the one connection is held for the whole transaction.
   */
  transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T>;
  /**
   * Like {@link transaction}, holding a lock named `key` until it ends, so that any number of processes on one
   * database run such transactions one at a time (pg_advisory_xact_lock; SQLite's write lock does it there).
   */
  transactionWithLock<T>(key: string, fn: (tx: SqlDatabase) => Promise<T>): Promise<T>;
  /**
   * Like {@link transactionWithLock}, but answers {@link LOCK_BUSY} at once, without running `fn`, when the lock is
   * taken (pg_try_advisory_xact_lock; on SQLite, when this connection is inside another transaction: another process
   * holding the write lock is still waited for, up to the busy timeout).
   */
  tryTransactionWithLock<T>(key: string, fn: (tx: SqlDatabase) => Promise<T>): Promise<T | typeof LOCK_BUSY>;
  /**
   * Like {@link tryTransactionWithLock} on `key`, holding `sharedKey` too in shared mode: such transactions run side by
   * side (each with its own `key`), and one that holds `sharedKey` itself (through {@link transactionWithLock}) runs
   * alone (pg_try_advisory_xact_lock_shared; on SQLite exactly {@link tryTransactionWithLock}).
   */
  tryTransactionWithSharedLock<T>(sharedKey: string, key: string, fn: (tx: SqlDatabase) => Promise<T>): Promise<T | typeof LOCK_BUSY>;
  /**
   * How many partitions the ingest log is applied in, each by one applier at a time: 1 where there is one writer
   * (SQLite), more where instances write side by side (PostgreSQL; api/ingest/apply-partitions.ts).
   */
  readonly applyPartitions: number;
  /** Runs a {@link RepeatedStatement}; resolves to its rows when `returnsRows`, else to none. */
  repeated<T extends Row = Row>(statement: RepeatedStatement, returnsRows: boolean): Promise<T[]>;
  /**
   * Whether an error is about the database as a whole (disk full, read-only, locked, unreachable…), which retrying
   * statement by statement would only repeat, rather than about one statement's data.
   */
  isStorageWide(error: unknown): boolean;
  /** Why a storage-wide error stopped a write, in words for a 503 ("the disk is full"). */
  failureReason(error: unknown): string;
  /** Streams a large result in batches of about `batchRows` rows, without holding it all in memory. */
  stream<T extends Row = Row>(query: SQL, batchRows?: number): AsyncIterable<T[]>;
  close(): Promise<void>;
}

/** A JSON column's value: SQLite returns text, PostgreSQL's jsonb returns the parsed value. */
export function parseJsonColumn<T = unknown>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** A boolean column's value: SQLite stores 0/1, PostgreSQL returns true/false. */
export function asBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === 1n;
}
