/** What a writer may be told (its bounds and listeners) and when it turns a request away before queueing it. */
import { ApiError } from '../errors.ts';
import type { NormalizedEvent } from './validate.ts';

/** A writer's bounds, its commit listener and whether it logs (see each field). */
export interface EventWriterOptions {
  /** Events allowed to wait for a commit; past it capture answers 503 + Retry-After instead of growing memory. */
  maxQueuedEvents?: number;
  /**
   * Called with each request's events once their commit is acknowledged (the PostHog mirror, api/ingest/forward.ts).
   * It runs after the request is resolved and its exceptions are swallowed, so it cannot fail or undo a stored write;
   * it does run before the replies are written, so it must be cheap (the mirror only queues in memory).
   */
  onCommitted?: (events: ReadonlyArray<NormalizedEvent>) => void;
  /**
   * Acknowledge once the events are appended to the ingest log, and apply the log to `events` (identity, dedup,
   * report indexes) while the server is idle: server.ts, and always on PostgreSQL, whose instances share the log.
   * Off (tests, tools), every commit applies the events at once.
   */
  logged?: boolean;
  /**
   * Logged events waiting to be applied past which a commit also applies at least as many events as it appended
   * (or until the backlog is under the bound), so the log stays within the bound plus one group commit.
   */
  maxBacklogEvents?: number;
  /** How long `close()` may spend applying the log before leaving the rest for the next start. */
  closeDrainMs?: number;
  /**
   * How often an idle instance with nothing of its own to apply looks at the log: rows another instance logged (or
   * left behind when it stopped) are applied by whichever instance is idle.
   */
  pollMs?: number;
}

/**
 * Why a writer turns a request away before queueing it, if it does: shutting down, or the queue bound reached (503s
 * with Retry-After). An oversized request is still let into an empty queue, so a bound below the batch limit cannot
 * starve it.
 */
export function refusal(state: { closed: boolean; queuedEvents: number; incoming: number; maxQueued: number }): ApiError | undefined {
  if (state.closed) return new ApiError(503, 'shutting_down', 'server: shutting down; retry shortly', { headers: { 'Retry-After': '2' } });
  if (state.queuedEvents > 0 && state.queuedEvents + state.incoming > state.maxQueued) {
    return new ApiError(503, 'overloaded', `server: ingest queue is full (${state.maxQueued} events waiting); retry shortly`, {
      headers: { 'Retry-After': '1' },
    });
  }
  return undefined;
}
