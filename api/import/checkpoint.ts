import type { Database } from 'better-sqlite3';

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

/** A row of `import_checkpoints` (columns as JSON text); shared with api/import/pg. */
export interface CheckpointRow {
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
}

/** The checkpoint a stored row describes. */
export function checkpointFromRow(row: CheckpointRow): Checkpoint {
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

/** Reads and writes import checkpoints; `save` runs right after the commit of the events it covers. */
export function createCheckpoints(sqlite: Database) {
  const select = sqlite.prepare<[string], CheckpointRow>('SELECT * FROM import_checkpoints WHERE file_hash = ?');
  const upsert = sqlite.prepare(
    `INSERT INTO import_checkpoints (file_hash, path, format, columns, byte_offset, line, imported, duplicates, rejected, completed_at, updated_at)
     VALUES (@fileHash, @path, @format, @columns, @byteOffset, @line, @imported, @duplicates, @rejected, @completedAt, @updatedAt)
     ON CONFLICT (file_hash) DO UPDATE SET path = excluded.path, format = excluded.format, columns = excluded.columns,
       byte_offset = excluded.byte_offset, line = excluded.line, imported = excluded.imported, duplicates = excluded.duplicates,
       rejected = excluded.rejected, completed_at = excluded.completed_at, updated_at = excluded.updated_at`,
  );
  const remove = sqlite.prepare<[string]>('DELETE FROM import_checkpoints WHERE file_hash = ?');

  return {
    get(fileHash: string): Checkpoint | undefined {
      const row = select.get(fileHash);
      return row ? checkpointFromRow(row) : undefined;
    },
    save(cp: Checkpoint) {
      upsert.run({ ...cp, columns: cp.columns ? JSON.stringify(cp.columns) : null, completedAt: cp.completedAt ?? null, updatedAt: Date.now() });
    },
    clear(fileHash: string) {
      remove.run(fileHash);
    },
  };
}
