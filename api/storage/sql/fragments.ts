/**
 * The {@link SqlFragments} of a dialect by name, for code that builds statements before it is handed a database
 * (the ingest store's steps, api/ingest/store.ts).
 */
import type { DatabaseDialect } from '../../../db/dialect.ts';
import type { SqlFragments } from './interface.ts';
import { postgresFragments } from './postgres.ts';
import { sqliteFragments } from './sqlite.ts';

/** The fragments `dialect`'s {@link SqlDatabase} hands out as `fragments`. */
export function fragmentsFor(dialect: DatabaseDialect): SqlFragments {
  return dialect === 'postgres' ? postgresFragments : sqliteFragments;
}
