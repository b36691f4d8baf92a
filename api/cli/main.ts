import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDb } from '../../db/client.ts';
import { openPgDb } from '../../db/client-pg.ts';
import { databaseDialect } from '../../db/dialect.ts';
import { countOldCalls, deleteOldCalls, rawCallCutoff } from '../analytics/api-traffic/retention.ts';
import { parseEnv } from '../env.ts';
import { type IngestDatabase, postgresIngestDatabase, sqliteIngestDatabase } from '../import/database.ts';
import { type ExportRange, exportEvents } from '../import/export.ts';
import { ImportFileError, type ImportFormat, type ImportSummary, type ImportTarget, importFile } from '../import/importer.ts';
import { importTarget } from '../import/target.ts';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import { createProgressReporter } from './progress.ts';

const USAGE = `Usage:
  onramp import <file> [--format jsonl|csv] [--strict] [--restart] [--commit-every N] [--stop-after N]
  onramp export [--from <iso>] [--to <iso>] [--out <file>]

The database is DATABASE_URL: file:<path> for SQLite (default file:./data/onramp.db) or postgres://… for
PostgreSQL. Imported events are validated, deduplicated and merged into persons like live capture.
import  PostHog event exports (JSON lines or CSV) and Onramp JSONL. Bad rows are reported with their line
        number and skipped (--strict stops at the first one). Re-running continues where an interrupted run
        stopped; --restart re-reads the whole file (already stored events are skipped as duplicates).
export  Onramp JSONL of the events with a timestamp in [from, to] (default: all), to stdout or --out.`;

/** The configured database, as the import and export see it; `close` ends the connection or pool. */
interface CliStorage {
  importTarget: ImportTarget;
  database: SqlDatabase;
  exportEvents: (range: ExportRange, write: (text: string) => void | Promise<void>) => Promise<number>;
  close: () => Promise<void>;
}

/** The import and export of one database, the same code on either dialect. */
function cliStorage(target: IngestDatabase, close: () => Promise<void>): CliStorage {
  return { importTarget: importTarget(target), database: target.database, exportEvents: (range, write) => exportEvents(target, range, write), close };
}

/** Opens DATABASE_URL: SQLite (a file) or PostgreSQL (a pool, migrated at open), by its scheme. */
async function openStorage(databaseUrl: string): Promise<CliStorage> {
  if (databaseDialect(databaseUrl) === 'postgres') {
    const db = await openPgDb(databaseUrl, { poolSize: 2 });
    return cliStorage(postgresIngestDatabase(db), () => db.close());
  }
  const db = openDb(databaseUrl);
  return cliStorage(sqliteIngestDatabase(db.$client), async () => void db.$client.close());
}

/** A usage error: printed with the usage text, exit code 2. */
class UsageError extends Error {}

function parseInstant(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new UsageError(`--${name}: cannot parse ${JSON.stringify(value)} as an ISO 8601 time`);
  return ms;
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${name}: must be a positive whole number`);
  return Number(value);
}

function printSummary(s: ImportSummary) {
  const out = process.stdout;
  if (s.alreadyComplete) {
    out.write(`${s.path}: already imported completely (checkpoint found); nothing to do. Use --restart to read it again.\n`);
    return;
  }
  const secs = (s.elapsedMs / 1000).toFixed(1);
  out.write(
    `${s.path} (${s.format}${s.resumedAfterLine > 0 ? `, resumed after line ${s.resumedAfterLine}` : ''}): ` +
      `${s.imported} imported, ${s.duplicates} duplicates skipped, ${s.rejected} rejected in ${secs}s (${s.eventsPerSecond} events/s)\n`,
  );
  for (const r of s.rejectedRows) out.write(`  line ${r.line}: ${r.reason}\n`);
  if (s.rejected > s.rejectedRows.length) out.write(`  … and ${s.rejected - s.rejectedRows.length} more rejected rows\n`);
  if (s.strictFailure) out.write(`stopped by --strict at line ${s.strictFailure.line}; rows before it are imported.\n`);
  else if (s.interrupted) out.write('interrupted: run the same command again to continue where this run stopped.\n');
}

/** Id of the newest stored event (0 when none): calls stored after it are this import's. */
async function lastEventId(database: SqlDatabase): Promise<number> {
  const row = await database.get<{ id: unknown }>(sql`SELECT COALESCE(MAX(id), 0) AS id FROM events`);
  return Number(row?.id ?? 0);
}

/**
 * Imported calls older than the raw-call retention are counted in the rollups and call facts like any other, then
 * their raw rows are deleted here rather than by the server's next sweep; the summary says how many.
 */
async function reportOldImportedCalls(database: SqlDatabase, days: number, afterId: number): Promise<void> {
  const cutoff = rawCallCutoff(days, Date.now());
  if (cutoff === undefined) return;
  const old = await countOldCalls(database, cutoff, afterId);
  if (old === 0) return;
  await deleteOldCalls(database, cutoff, { pauseMs: 0 });
  process.stdout.write(
    `${old} imported api_call events were older than the ${days}-day raw-call retention (ONRAMP_API_CALL_RAW_DAYS): counted into the API rollups only, not kept as raw rows.\n`,
  );
}

async function runImport(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      strict: { type: 'boolean', default: false },
      restart: { type: 'boolean', default: false },
      'commit-every': { type: 'string' },
      'stop-after': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('import: give exactly one file');
  if (values.format !== undefined && values.format !== 'jsonl' && values.format !== 'csv') throw new UsageError('--format: must be jsonl or csv');
  const env = parseEnv();
  const storage = await openStorage(env.DATABASE_URL);
  const controller = new AbortController();
  // First Ctrl-C: finish the current batch, save the checkpoint and print the summary. Second: leave at once.
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupting: committing what was read so far…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = createProgressReporter();
  try {
    const eventsBefore = await lastEventId(storage.database);
    const summary = await importFile(storage.importTarget, positionals[0]!, {
      projectToken: env.ONRAMP_PROJECT_TOKEN,
      format: values.format as ImportFormat | undefined,
      strict: values.strict,
      restart: values.restart,
      commitEvery: positiveInt(values['commit-every'], 'commit-every'),
      stopAfterRows: positiveInt(values['stop-after'], 'stop-after'),
      signal: controller.signal,
      // Parse and validate on a second core while this one writes to the database.
      parallel: true,
      onProgress: (p) => progress.update(p),
    });
    progress.stop();
    printSummary(summary);
    await reportOldImportedCalls(storage.database, env.ONRAMP_API_CALL_RAW_DAYS, eventsBefore);
    return summary.strictFailure ? 1 : summary.interrupted && controller.signal.aborted ? 130 : 0;
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
    await storage.close();
  }
}

async function runExport(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' } },
  });
  if (positionals.length > 0) throw new UsageError(`export: unexpected argument ${JSON.stringify(positionals[0])}`);
  const from = parseInstant(values.from, 'from', 0);
  const to = parseInstant(values.to, 'to', Number.MAX_SAFE_INTEGER);
  if (from > to) throw new UsageError('--from: must not be after --to');
  const env = parseEnv();
  const storage = await openStorage(env.DATABASE_URL);
  const out = values.out ? createWriteStream(values.out) : process.stdout;
  try {
    const count = await storage.exportEvents({ from, to }, async (text) => {
      if (!out.write(text)) await once(out, 'drain');
    });
    if (values.out) {
      (out as ReturnType<typeof createWriteStream>).end();
      await once(out, 'finish');
    }
    process.stderr.write(`exported ${count} events${values.out ? ` to ${values.out}` : ''}\n`);
    return 0;
  } finally {
    await storage.close();
  }
}

/** Entry point of `npm run onramp -- <command>` and the `onramp` bin. Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'import') return await runImport(rest);
    if (command === 'export') return await runExport(rest);
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`onramp: ${(err as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof ImportFileError) {
      process.stderr.write(`onramp: ${err.message}\n`);
      return 1;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'SQLITE_BUSY') {
      process.stderr.write(
        'onramp: the database is busy: another process kept its write lock for over 5 s (is another import running?). Run again to continue.\n',
      );
      return 1;
    }
    if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === '28P01' || e.code === '3D000') {
      process.stderr.write(`onramp: cannot use the PostgreSQL database of DATABASE_URL: ${e.message || e.code}\n`);
      return 1;
    }
    if (e.code === 'ENOENT' || e.code === 'EISDIR' || e.code === 'EACCES') {
      process.stderr.write(`onramp: ${e.path ?? 'file'}: ${e.code === 'ENOENT' ? 'no such file' : e.message}\n`);
      return 1;
    }
    if (e.message?.startsWith('Invalid environment variable')) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw err;
  }
}
