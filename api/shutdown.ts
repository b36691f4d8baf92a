import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { runShutdownHooks } from './lifecycle.ts';

/** Whole budget: the process must be gone within 10 s of SIGTERM (orchestrators SIGKILL after that). */
export const SHUTDOWN_DEADLINE_MS = 10_000;
/** In-flight requests get this long to finish before their connections are cut (they were never acknowledged). */
const DRAIN_MS = 5_000;
/** How long idle keep-alive clients get to send a last request (answered with `Connection: close`). */
const IDLE_GRACE_MS = 300;
/** Budget for the shutdown hooks (posthog-node flush) together. */
const HOOKS_MS = 2_500;
/** Most the last flush to the PostHog mirror may take; less when the earlier steps used up the deadline. */
const FORWARD_MS = 2_000;
/** Longest time spent applying the ingest log at shutdown. */
const APPLY_AT_CLOSE_MS = 2_000;
/** Kept free at the end of the deadline for closing and exiting. */
const EXIT_MARGIN_MS = 1_000;

export interface Drainable {
  server: Server;
  /** Commits what is queued and refuses new writes. */
  /** Commits what is queued, then may apply the ingest log for up to `applyMs`. */
  closeWriter: (applyMs: number) => void | Promise<void>;
  /** Stops the WAL checkpoint worker, so the final close checkpoints and removes the WAL. */
  stopCheckpoints?: () => Promise<void>;
  closeDb: () => void | Promise<void>;
  /** Last flush of the PostHog mirror within the given time (api/ingest/forward.ts); it must never reject. */
  stopForwarding?: (timeoutMs: number) => Promise<void>;
  log?: (line: string) => void;
}

/**
 * Counts requests in flight and, once shutdown starts, answers every response with `Connection: close` so
 * keep-alive clients let go of their sockets after the reply instead of holding `server.close()` open forever.
 */
export function trackInFlight(server: Server) {
  const open = new Set<ServerResponse>();
  let draining = false;
  let onIdle: (() => void) | undefined;
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    open.add(res);
    if (draining) res.setHeader('Connection', 'close');
    res.once('close', () => {
      open.delete(res);
      if (open.size === 0) onIdle?.();
    });
  });
  return {
    /** Marks every current and future response `Connection: close`; resolves when no request is in flight. */
    drain(): Promise<void> {
      draining = true;
      for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
      if (open.size === 0) return Promise.resolve();
      return new Promise((resolve) => (onIdle = resolve));
    },
    get inFlight() {
      return open.size;
    },
  };
}

function within<T>(ms: number, work: Promise<T>): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * Graceful shutdown, in the only safe order:
 * 1. stop accepting connections; 2. let in-flight requests finish (each waits for its commit, so every 200 sent is
 * on disk); 3. run shutdown hooks (posthog-node flush) while the writer and DB are still open; 4. commit anything
 * still queued; 5. close the DB (checkpoints the WAL); 6. flush the PostHog mirror with what is left of the
 * deadline (last, because it needs neither, and a slow PostHog must not hold the database open). Resolves with the
 * exit code to use.
 */
export async function gracefulShutdown(target: Drainable, tracker: ReturnType<typeof trackInFlight>): Promise<number> {
  const startedAt = Date.now();
  const log = target.log ?? console.log;
  // net.Server's close stops listening without http.Server's immediate reset of idle keep-alive sockets: a client
  // may already be writing its next request on one, and resetting it would turn that request into an error.
  const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(target.server, () => resolve()));
  const draining = tracker.drain();
  await new Promise((r) => setTimeout(r, IDLE_GRACE_MS));
  // Sockets that stayed idle through the grace period belong to clients that are not sending; the rest now get
  // `Connection: close` on their next reply and end by themselves.
  target.server.closeIdleConnections();
  if ((await within(DRAIN_MS, draining)) === 'timeout') {
    log(`[onramp] ${tracker.inFlight} request(s) still running after ${DRAIN_MS} ms; closing their connections unacknowledged`);
  }
  if ((await within(IDLE_GRACE_MS, closed)) === 'timeout') target.server.closeAllConnections();
  await runShutdownHooks(HOOKS_MS, log);
  // Applying the ingest log may use what the deadline leaves after the checkpoint stop (up to 1 s) and the exit
  // margin; what it cannot apply stays logged, durable, for the next start.
  const applyBudget = Math.max(0, Math.min(APPLY_AT_CLOSE_MS, SHUTDOWN_DEADLINE_MS - 2 * EXIT_MARGIN_MS - (Date.now() - startedAt)));
  await target.closeWriter(applyBudget);
  await target.stopCheckpoints?.();
  await target.closeDb();
  if (target.stopForwarding) {
    const budget = Math.min(FORWARD_MS, SHUTDOWN_DEADLINE_MS - EXIT_MARGIN_MS - (Date.now() - startedAt));
    if (budget <= 0) log('[onramp] no time left to flush the PostHog mirror; its queued events stay local only');
    else if ((await within(budget, target.stopForwarding(budget))) === 'timeout') log(`[onramp] PostHog mirror flush cut off after ${budget} ms`);
  }
  log('[onramp] shutdown complete: requests drained, events committed, database closed');
  return 0;
}
