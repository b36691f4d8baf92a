import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../storage/sql/interface.ts';

/** Progress of one file's import; see the `import_checkpoints` table. */
export interface Checkpoint {
  fileHash: string;
  path: string;
  format: string;
  columns: string[] | undefined;
  byteOffset: number;
  line: number;
  imported: number;
  duplicates: number;
  rejected: number;
  completedAt: number | undefined;
}

/** A row of `import_checkpoints` (columns as JSON text). */
type CheckpointRow = {
  file_hash: string;
  path: string;
  format: string;
  columns: string | null;
  byte_offset: number;
  line: number;
  imported: number;
  duplicates: number;
  rejected: number;
  completed_at: number | null;
};

/** The checkpoint a stored row describes. */
function checkpointFromRow(row: CheckpointRow): Checkpoint {
  return {
    fileHash: row.file_hash,
    path: row.path,
    format: row.format,
    columns: row.columns ? (JSON.parse(row.columns) as string[]) : undefined,
    byteOffset: row.byte_offset,
    line: row.line,
    imported: row.imported,
    duplicates: row.duplicates,
    rejected: row.rejected,
    completedAt: row.completed_at ?? undefined,
  };
}

/** The checkpoint of `fileHash`, or undefined. */
export async function getCheckpoint(database: SqlDatabase, fileHash: string): Promise<Checkpoint | undefined> {
  const row = await database.get<CheckpointRow>(
    sql`SELECT file_hash, path, format, columns, byte_offset, line, imported, duplicates, rejected, completed_at
        FROM import_checkpoints WHERE file_hash = ${fileHash}`,
  );
  return row ? checkpointFromRow(row) : undefined;
}

/** Inserts or replaces the checkpoint of `cp.fileHash`; run it in the transaction of the events it covers. */
export async function saveCheckpoint(database: SqlDatabase, cp: Checkpoint, now = Date.now()): Promise<void> {
  await database.run(
    sql`INSERT INTO import_checkpoints (file_hash, path, format, columns, byte_offset, line, imported, duplicates, rejected, completed_at, updated_at)
        VALUES (${cp.fileHash}, ${cp.path}, ${cp.format}, ${cp.columns ? JSON.stringify(cp.columns) : null}, ${cp.byteOffset}, ${cp.line},
                ${cp.imported}, ${cp.duplicates}, ${cp.rejected}, ${cp.completedAt ?? null}, ${now})
        ON CONFLICT (file_hash) DO UPDATE SET path = excluded.path, format = excluded.format, columns = excluded.columns,
          byte_offset = excluded.byte_offset, line = excluded.line, imported = excluded.imported, duplicates = excluded.duplicates,
          rejected = excluded.rejected, completed_at = excluded.completed_at, updated_at = excluded.updated_at`,
  );
}

/** Forgets the checkpoint of `fileHash` (a restart reads the file again). */
export async function clearCheckpoint(database: SqlDatabase, fileHash: string): Promise<void> {
  await database.run(sql`DELETE FROM import_checkpoints WHERE file_hash = ${fileHash}`);
}
