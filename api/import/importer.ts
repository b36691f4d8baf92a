import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import type { Database } from 'better-sqlite3';
import { ApiError } from '../errors.ts';
import { createEventStore } from '../ingest/store.ts';
import { MAX_BATCH_EVENTS, validateCapture, type NormalizedEvent } from '../ingest/validate.ts';
import { createCheckpoints, type Checkpoint } from './checkpoint.ts';
import { fileFingerprint } from './fingerprint.ts';
import type { RawImportEvent } from './rows.ts';
import { csvHeader, csvRows, jsonLines, type SourceRow } from './sources.ts';

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
const UUID_NAMESPACE = 'onramp-import-v1';

/** `batch[12].timestamp: …` → `timestamp: …`: the row is already named by its line number. */
function rowReason(err: unknown): string {
  if (err instanceof ApiError) return err.message.replace(/^batch\[\d+\]\.?/, '') || err.message;
  throw err;
}

/**
 * A uuid for an event that has none, derived from its content (UUIDv5-style layout), so importing the same row
 * again finds it already stored. Identical rows (same event, person id, millisecond and properties) are one event.
 */
export function contentUuid(event: NormalizedEvent): string {
  const hex = createHash('sha1')
    .update(`${UUID_NAMESPACE}\0${event.event}\0${event.distinctId}\0${event.timestamp}\0${event.propertiesJson}`)
    .digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The file as a whole cannot be imported (e.g. a CSV header without an event column). */
export class ImportFileError extends Error {}

export function detectFormat(path: string): ImportFormat {
  return extname(path).toLowerCase() === '.csv' ? 'csv' : 'jsonl';
}

interface Pending {
  row: SourceRow;
  raw: RawImportEvent;
}

/**
 * Imports a PostHog export or an Onramp export into the database through the capture validator and the event store
 * (same deduplication and identity merge as live capture). Streams the file; commits every `commitEvery` events
 * together with a checkpoint, so an interrupted import resumes where the last commit ended and nothing is stored twice.
 */
export async function importFile(sqlite: Database, path: string, options: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const format = options.format ?? detectFormat(path);
  // Large commits: each one rewrites the touched pages of the random-uuid index, so fewer commits write far less.
  const commitEvery = options.commitEvery ?? 50_000;
  const store = createEventStore(sqlite);
  const checkpoints = createCheckpoints(sqlite);
  const maxEventId = sqlite.prepare<[], number | null>('SELECT MAX(id) FROM events').pluck();
  const uuidsAfter = sqlite.prepare<[number], string>('SELECT uuid FROM events WHERE id > ?').pluck();
  const { hash, size } = await fileFingerprint(path);

  if (options.restart) checkpoints.clear(hash);
  const saved = checkpoints.get(hash);
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
  const cp: Checkpoint = saved ?? {
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

  let pendingRaw: Pending[] = [];
  let pendingEvents: NormalizedEvent[] = [];
  /** The last row whose fate (queued or rejected) is settled, in file order: where a commit may move the checkpoint. */
  let settled = { end: cp.byteOffset, line: cp.line };
  let rejectedSinceCommit = 0;
  let rows = 0;
  let stopped = false;

  /**
   * Stores a batch through the event store (its own transaction), then moves the checkpoint. The two are separate
   * transactions on purpose: nesting the store's transaction inside ours turns it into a SAVEPOINT, which SQLite
   * makes several times slower as the tables grow (measured: 60k events went from 0.3 to 3.7 CPU-s). If the process
   * dies between the two commits, the resumed run re-reads one batch and the uuid dedup skips it: no loss, no double.
   */
  const commit = (events: NormalizedEvent[], position: { end: number; line: number }, completedAt?: number) => {
    // Counted after the write from the rows it added (ids only grow): a lookup per event before the write costs a
    // random uuid-index probe each, while the new rows are one short rowid range. Only this batch's uuids count,
    // so events captured live meanwhile are not mistaken for imported ones.
    const before = maxEventId.get() ?? 0;
    if (events.length > 0) store.writeBatches([events]);
    let stored = 0;
    if (events.length > 0) {
      const mine = new Set(events.map((e) => e.uuid));
      for (const uuid of uuidsAfter.iterate(before)) if (mine.has(uuid)) stored += 1;
    }
    const duplicates = events.length - stored;
    summary.imported += events.length - duplicates;
    summary.duplicates += duplicates;
    cp.imported += events.length - duplicates;
    cp.duplicates += duplicates;
    cp.rejected += rejectedSinceCommit;
    cp.byteOffset = position.end;
    cp.line = position.line;
    cp.completedAt = completedAt;
    checkpoints.save(cp);
  };

  const commitPending = (completedAt?: number) => {
    commit(pendingEvents, settled, completedAt);
    pendingEvents = [];
    rejectedSinceCommit = 0;
    report();
  };

  const reject = (row: SourceRow, reason: string) => {
    summary.rejected += 1;
    rejectedSinceCommit += 1;
    if (summary.rejectedRows.length < MAX_REPORTED_REJECTIONS) summary.rejectedRows.push({ line: row.line, reason });
    if (options.strict) {
      summary.strictFailure = { line: row.line, reason };
      stopped = true;
    }
  };

  const accept = (pending: Pending, event: NormalizedEvent) => {
    if (pending.raw.uuid === undefined) event.uuid = contentUuid(event);
    if (pending.raw.receivedAt !== undefined) event.receivedAt = pending.raw.receivedAt;
    pendingEvents.push(event);
    settled = pending.row;
  };

  /** Validates queued rows in file order: a whole chunk at once, row by row only when the chunk has a bad row. */
  const validatePending = () => {
    if (pendingRaw.length === 0) return;
    const chunk = pendingRaw;
    pendingRaw = [];
    const now = Date.now();
    try {
      const events = validateCapture({ api_key: options.projectToken, batch: chunk.map((p) => p.raw) }, { projectToken: options.projectToken, receivedAt: now });
      for (let i = 0; i < chunk.length; i++) accept(chunk[i]!, events[i]!);
      return;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
    for (const pending of chunk) {
      if (stopped) return;
      try {
        const [event] = validateCapture({ api_key: options.projectToken, batch: [pending.raw] }, { projectToken: options.projectToken, receivedAt: now });
        accept(pending, event!);
      } catch (err) {
        reject(pending.row, rowReason(err));
        if (!stopped) settled = pending.row;
      }
    }
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

  const handle = (row: SourceRow) => {
    rows += 1;
    if (row.raw) {
      pendingRaw.push({ row, raw: row.raw });
      if (pendingRaw.length >= MAX_BATCH_EVENTS) validatePending();
    } else {
      // Settle the rows queued before this one first, so the checkpoint never skips past an unvalidated row.
      validatePending();
      if (stopped) return;
      if (row.error !== undefined) reject(row, row.error);
      if (!stopped) settled = row;
    }
    if (!stopped && pendingEvents.length >= commitEvery) commitPending();
  };

  const source =
    format === 'csv'
      ? csvRows(path, cp.byteOffset, columns!, cp.byteOffset === 0)
      : jsonLines(path, cp.byteOffset, cp.line);
  reading: for await (const batch of source) {
    for (const row of batch) {
      handle(row);
      if (stopped) break reading;
      if (options.signal?.aborted || (options.stopAfterRows !== undefined && rows >= options.stopAfterRows)) {
        summary.interrupted = true;
        break reading;
      }
    }
    report();
  }
  if (!stopped) validatePending();
  if (stopped) summary.interrupted = true;
  if (summary.interrupted) {
    commitPending();
  } else {
    settled = { end: size, line: settled.line };
    commitPending(Date.now());
  }
  report(true);
  return finish();

  function finish(): ImportSummary {
    summary.elapsedMs = performance.now() - started;
    summary.eventsPerSecond = summary.elapsedMs > 0 ? Math.round(((summary.imported + summary.duplicates) * 1000) / summary.elapsedMs) : 0;
    return summary;
  }
}
