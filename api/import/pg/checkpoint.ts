import type { OnrampPgDb } from '../../../db/client-pg.ts';
import type pg from 'pg';
import { checkpointFromRow, type Checkpoint, type CheckpointRow } from '../checkpoint.ts';

/** A connection inside the caller's transaction. */
type PgQueryable = Pick<pg.ClientBase, 'query'>;

/** PostgreSQL twin of api/import/checkpoint.ts `createCheckpoints`: the same methods and checkpoints, async. */
export function createPgCheckpoints(db: OnrampPgDb) {
  const pool = db.$client;
  return {
    async get(fileHash: string): Promise<Checkpoint | undefined> {
      // bigint offsets and counts come back from node-postgres as strings; float8 holds them exactly up to 2^53.
      const { rows } = await pool.query<CheckpointRow>(
        `SELECT file_hash, path, format, columns, byte_offset::float8 AS byte_offset, line::float8 AS line, imported::float8 AS imported,
                duplicates::float8 AS duplicates, rejected::float8 AS rejected, completed_at::float8 AS completed_at
           FROM import_checkpoints WHERE file_hash = $1`,
        [fileHash],
      );
      return rows[0] ? checkpointFromRow(rows[0]) : undefined;
    },
    /** Inserts or replaces the checkpoint of `cp.fileHash`; run it right after the commit of the events it covers. */
    async save(cp: Checkpoint): Promise<void> {
      await savePgCheckpoint(pool, cp);
    },
    async clear(fileHash: string): Promise<void> {
      await pool.query('DELETE FROM import_checkpoints WHERE file_hash = $1', [fileHash]);
    },
  };
}

export type PgCheckpoints = ReturnType<typeof createPgCheckpoints>;

/** Inserts or replaces the checkpoint of `cp.fileHash` on `client`, e.g. inside the transaction of the events it covers. */
export async function savePgCheckpoint(client: PgQueryable, cp: Checkpoint): Promise<void> {
  await client.query(
    `INSERT INTO import_checkpoints (file_hash, path, format, columns, byte_offset, line, imported, duplicates, rejected, completed_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (file_hash) DO UPDATE SET path = excluded.path, format = excluded.format, columns = excluded.columns,
       byte_offset = excluded.byte_offset, line = excluded.line, imported = excluded.imported, duplicates = excluded.duplicates,
       rejected = excluded.rejected, completed_at = excluded.completed_at, updated_at = excluded.updated_at`,
    [
      cp.fileHash, cp.path, cp.format, cp.columns ? JSON.stringify(cp.columns) : null, cp.byteOffset, cp.line,
      cp.imported, cp.duplicates, cp.rejected, cp.completedAt ?? null, Date.now(),
    ],
  );
}
