import type { MiddlewareHandler } from 'hono';
import type { IngestWriter } from '../storage/types.ts';

/**
 * The catch-up of the ingest log before a read of `events` (reports, events, alert checks), so no read misses an
 * acknowledged event (ADR 0001).
 *
 * `soleAppender`: this process is the only one appending to the log (SQLite: one server on one file). Then a
 * settle that completed applied everything acknowledged before it started, and nothing can have joined the log
 * since unless this process acknowledged it, which `writer.committedRequests` counts. So when that count has not
 * moved since the start of the last completed settle, the next one is a comparison in memory instead of the queries
 * and the apply lock of `writer.settle()`. With several instances on one PostgreSQL log another may have
 * acknowledged events, so that comparison is never enough there.
 *
 * Otherwise one count of the log comes first: an event acknowledged before the call is in a committed log row until
 * the transaction that applies it deletes the row, so a log with no events pending holds none unapplied (idle work
 * usually applied them already). Only a log with events pending is settled, under the apply lock.
 */
export function settleBeforeReads(writer: IngestWriter, opts: { soleAppender: boolean }): () => Promise<void> {
  // Requests acknowledged before the start of the last settle that completed; -1: none yet, so the first one runs
  // and applies what a previous process left in the log.
  let settledThrough = -1;
  return async () => {
    const through = writer.committedRequests;
    if (opts.soleAppender && through === settledThrough) return;
    // A failed count is left to `settle`, which answers a storage failure with its 503.
    const pending = await writer.refreshCounts().then(
      (counts) => counts.pendingEvents,
      () => undefined,
    );
    if (pending !== 0) await writer.settle();
    // A later-started settle may have completed first: keep the larger count, both are applied.
    if (through > settledThrough) settledThrough = through;
  };
}

/** Middleware form of {@link settleBeforeReads}'s `settle`: applies what capture acknowledged, then reads. */
export function settleEvents(settle: () => Promise<void>): MiddlewareHandler {
  return async (_c, next) => {
    await settle();
    await next();
  };
}
