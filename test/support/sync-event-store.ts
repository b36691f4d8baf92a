import type { Database, Statement } from 'better-sqlite3';
import type { Step } from '../../api/ingest/steps.ts';
import { type StoreEvent, storeChunk } from '../../api/ingest/store.ts';
import type { Row } from '../../api/storage/sql/interface.ts';
import { sqliteStatements } from '../../api/storage/sql/sqlite.ts';

/**
 * The ingest store (api/ingest/store.ts) on one better-sqlite3 connection, run synchronously, for tests and
 * benchmarks that fill a database without awaiting. The server, import and seed use `writeEvents`, which measured
 * no slower than this (ADR 0012).
 *
 * @example
 * createEventStore(db.$client).writeBatches([events]);
 */
export function createEventStore(sqlite: Database) {
  const statements = sqliteStatements(sqlite);
  /** Prepared statements of the shaped steps, by shape key. */
  const shaped = new Map<string, Statement>();
  function execute({ query, returnsRows, shape }: Step): Row[] {
    if (!shape) {
      if (returnsRows) return statements.all(query());
      statements.run(query());
      return [];
    }
    let statement = shaped.get(shape.key);
    if (!statement) {
      statement = statements.prepare(query()).statement;
      shaped.set(shape.key, statement);
    }
    if (returnsRows) return statement.all(...shape.values) as Row[];
    statement.run(...shape.values);
    return [];
  }
  function writeWithinTransaction(batches: ReadonlyArray<ReadonlyArray<StoreEvent>>) {
    const steps = storeChunk('sqlite', batches);
    for (let next = steps.next(); !next.done; ) next = steps.next(execute(next.value));
  }
  const transaction = sqlite.transaction(writeWithinTransaction);
  return {
    /** Stores every event of every batch in one transaction: all of them commit, or none. */
    writeBatches(batches: ReadonlyArray<ReadonlyArray<StoreEvent>>) {
      transaction(batches);
    },
    /**
     * The same inside the caller's transaction. A nested better-sqlite3 transaction would be a SAVEPOINT, which SQLite
     * makes several times slower as the tables grow (see api/import/importer.ts).
     */
    writeWithinTransaction,
  };
}

export type EventStore = ReturnType<typeof createEventStore>;
