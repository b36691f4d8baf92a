import type { ApiError } from '../errors.ts';
import type { LogItem } from './raw-log.ts';

/** What one apply did: events taken off the log (applied or set aside), or `busy` when another applier held the lock. */
export type ApplyResult = number | 'busy';

/** How one apply call picks its rows and waits for the apply lock. */
export interface ApplyOptions {
  /** About this many events per transaction, but at least one row. */
  maxEvents?: number;
  /** Only rows with an id up to this (a settle's target). */
  upToId?: number;
  /** Wait for the apply lock (settle, shutdown) instead of stepping aside (idle work). */
  wait?: boolean;
}

/**
 * Where the writer's group commits go, on either dialect (api/ingest/log-processor.ts): the ingest log, applied to
 * `events` later, or no log at all (each commit stored at once, for tests and tools).
 */
export interface IngestLog {
  /** False when `append` stores the events at once (no log): nothing is ever left to apply. */
  readonly deferred: boolean;
  /** Appends one group commit's requests in one transaction. */
  append(items: ReadonlyArray<LogItem>): Promise<void>;
  /** Applies the oldest rows; throws on a storage-wide failure (the rows stay logged). */
  processChunk(options?: ApplyOptions): Promise<ApplyResult>;
  /** Id of the newest row: everything acknowledged before the call has an id up to it. */
  lastRowId(): Promise<number>;
  /** Events logged but not applied, and rows set aside, as committed now. */
  counts(): Promise<LogCounts>;
  /** Errors about the database as a whole, which retrying request by request would only repeat. */
  isStorageWide(err: unknown): boolean;
  /** The 503 a storage failure is answered with. */
  storageError(err: unknown): ApiError;
}

/** The log's backlog and its set-aside rows, as committed now (every instance's rows). */
export interface LogCounts {
  pendingEvents: number;
  failedRows: number;
}
