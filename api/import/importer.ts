import { extname } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { NormalizedEvent } from '../ingest/validate.ts';
import type { Checkpoint } from './checkpoint.ts';
import { sqliteIngestDatabase } from './database.ts';
import { fileFingerprint } from './fingerprint.ts';
import { resultsInParallel, resultsInThread } from './results.ts';
import { csvHeader } from './sources.ts';
import { type ImportTarget, importTarget } from './target.ts';
import type { RowResult } from './validate-rows.ts';

export type { ImportTarget } from './target.ts';
export { contentUuid } from './validate-rows.ts';

export type ImportFormat = 'jsonl' | 'csv';

export interface ImportProgress {
  bytesDone: number;
  totalBytes: number;
  rows: number;
  imported: number;
  duplicates: number;
  rejected: number;
  elapsedMs: number;
}

export interface ImportOptions {
  /** The project token events are validated against (the import writes into this project). */
  projectToken: string;
  /** Forces the format; by default `.csv` files are CSV and everything else JSON lines. */
  format?: ImportFormat;
  /** Stop at the first bad row (rows before it stay imported) instead of skipping it. */
  strict?: boolean;
  /** Ignore a saved checkpoint and read the whole file again (deduplication still skips stored events). */
  restart?: boolean;
  /** Events per transaction; each commit also moves the checkpoint. */
  commitEvery?: number;
  /** Stops reading (after committing what was read) when aborted, as Ctrl-C does. */
  signal?: AbortSignal;
  /** Stops after this many rows, as if interrupted; for tests and trial runs. */
  stopAfterRows?: number;
  onProgress?: (progress: ImportProgress) => void;
  /**
   * Read and validate in a worker thread while this thread writes to SQLite (the CLI does). The results, the
   * checkpoints and the summary are the same as in-thread; only the work is split over two cores.
   */
  parallel?: boolean;
}

export interface RejectedRow {
  line: number;
  reason: string;
}

export interface ImportSummary {
  path: string;
  format: ImportFormat;
  /** Events newly stored by this run. */
  imported: number;
  /** Valid events skipped because their uuid was already stored. */
  duplicates: number;
  /** Rows rejected by this run. */
  rejected: number;
  /** The first rejected rows of this run (at most 1,000), with line numbers. */
  rejectedRows: RejectedRow[];
  /** Line the run started after (0 = from the top; more when resuming a checkpoint). */
  resumedAfterLine: number;
  /** The file had been imported completely before; nothing was read. */
  alreadyComplete: boolean;
  /** Stopped early (abort, stopAfterRows or --strict); run again to continue. */
  interrupted: boolean;
  /** Set when --strict stopped the import at a bad row. */
  strictFailure?: RejectedRow;
  elapsedMs: number;
  eventsPerSecond: number;
}

const MAX_REPORTED_REJECTIONS = 1000;

/** The file as a whole cannot be imported (e.g. a CSV header without an event column). */
export class ImportFileError extends Error {}

export function detectFormat(path: string): ImportFormat {
  return extname(path).toLowerCase() === '.csv' ? 'csv' : 'jsonl';
}

/**
 * Imports a PostHog export or an Onramp export into the database through the capture validator and an event store
 * with live capture's deduplication and identity merge. Streams the file; commits every `commitEvery` events together
 * with a checkpoint (one transaction), so an interrupted import resumes where the last commit ended and nothing is
 * stored twice. `target` is a SQLite connection or an {@link ImportTarget} of either dialect (api/import/target.ts).
 */
export async function importFile(target: Database | ImportTarget, path: string, options: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const format = options.format ?? detectFormat(path);
  // Large commits: each one rewrites the touched pages of the random-uuid index, so fewer commits write far less.
  const commitEvery = options.commitEvery ?? 50_000;
  const storage = isImportTarget(target) ? target : importTarget(sqliteIngestDatabase(target));
  const { hash, size } = await fileFingerprint(path);

  if (options.restart) await storage.clearCheckpoint(hash);
  const saved = await storage.getCheckpoint(hash);
  const summary: ImportSummary = {
    path,
    format,
    imported: 0,
    duplicates: 0,
    rejected: 0,
    rejectedRows: [],
    resumedAfterLine: saved?.line ?? 0,
    alreadyComplete: saved?.completedAt !== undefined,
    interrupted: false,
    elapsedMs: 0,
    eventsPerSecond: 0,
  };
  if (summary.alreadyComplete) return finish();

  const columns = format === 'csv' ? (saved?.columns ?? (await csvHeader(path))) : undefined;
  if (columns && !columns.includes('event')) {
    // Without an event column every row would be rejected; say so once instead of once per row.
    throw new ImportFileError(`${path}: the CSV header has no "event" column (found: ${columns.join(', ') || 'nothing'})`);
  }
  let cp: Checkpoint = saved ?? {
    fileHash: hash,
    path,
    format,
    columns,
    byteOffset: 0,
    line: 0,
    imported: 0,
    duplicates: 0,
    rejected: 0,
    completedAt: undefined,
  };

  let pendingEvents: NormalizedEvent[] = [];
  /** The last row whose fate (queued or rejected) is settled, in file order: where a commit may move the checkpoint. */
  let settled = { end: cp.byteOffset, line: cp.line };
  let rejectedSinceCommit = 0;
  let rows = 0;

  /** Stores the pending events and moves the checkpoint past them, in one transaction of the target. */
  const commit = async (completedAt?: number) => {
    const events = pendingEvents;
    const at = settled;
    const rejected = rejectedSinceCommit;
    pendingEvents = [];
    rejectedSinceCommit = 0;
    // The checkpoint is built inside the target's transaction, once it knows how many of the events were new.
    let next = cp;
    const stored = await storage.writeChunk(events, (inserted) => {
      next = {
        ...cp,
        imported: cp.imported + inserted,
        duplicates: cp.duplicates + events.length - inserted,
        rejected: cp.rejected + rejected,
        byteOffset: at.end,
        line: at.line,
        completedAt,
      };
      return next;
    });
    cp = next;
    summary.imported += stored;
    summary.duplicates += events.length - stored;
    report();
  };

  let lastReport = 0;
  const report = (force = false) => {
    if (!options.onProgress) return;
    const nowMs = performance.now();
    if (!force && nowMs - lastReport < 200) return;
    lastReport = nowMs;
    options.onProgress({
      bytesDone: settled.end,
      totalBytes: size,
      rows,
      imported: summary.imported,
      duplicates: summary.duplicates,
      rejected: summary.rejected,
      elapsedMs: nowMs - started,
    });
  };

  /** Takes one row's result in file order; returns false when the import must stop (--strict). */
  const handle = (result: RowResult): boolean => {
    rows += 1;
    if (result.error !== undefined) {
      summary.rejected += 1;
      rejectedSinceCommit += 1;
      if (summary.rejectedRows.length < MAX_REPORTED_REJECTIONS) summary.rejectedRows.push({ line: result.line, reason: result.error });
      if (options.strict) {
        // The checkpoint stays before the bad row, so a fixed file is not what resumes (its fingerprint differs anyway).
        summary.strictFailure = { line: result.line, reason: result.error };
        return false;
      }
    } else if (result.event) {
      pendingEvents.push(result.event);
    }
    settled = result;
    return true;
  };

  const start = { path, format, start: cp.byteOffset, lineBefore: cp.line, columns, projectToken: options.projectToken };
  await storage.prepare();
  const stopOffloading = options.parallel ? storage.offload?.() : undefined;
  try {
    const results = options.parallel ? resultsInParallel(start) : resultsInThread(start);
    reading: for await (const batch of results) {
      for (const result of batch) {
        if (!handle(result)) {
          summary.interrupted = true;
          break reading;
        }
        if (pendingEvents.length >= commitEvery) await commit();
        if (options.signal?.aborted || (options.stopAfterRows !== undefined && rows >= options.stopAfterRows)) {
          summary.interrupted = true;
          break reading;
        }
      }
      report();
      // Batches can arrive back to back through promise jobs alone; a macrotask turn lets Ctrl-C (a signal handler) in.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (summary.interrupted) {
      await commit();
    } else {
      settled = { end: size, line: settled.line };
      await commit(Date.now());
    }
  } finally {
    await stopOffloading?.();
  }
  report(true);
  return finish();

  function finish(): ImportSummary {
    summary.elapsedMs = performance.now() - started;
    summary.eventsPerSecond = summary.elapsedMs > 0 ? Math.round(((summary.imported + summary.duplicates) * 1000) / summary.elapsedMs) : 0;
    return summary;
  }
}

function isImportTarget(target: Database | ImportTarget): target is ImportTarget {
  return typeof (target as ImportTarget).writeChunk === 'function';
}
