/**
 * How busy capture keeps the event loop, so the ingest writer can apply the log in the loop's spare time under a
 * steady load (api/ingest/writer.ts).
 */
import { performance } from 'node:perf_hooks';

/**
 * Under a steady load the log is applied in the event loop's spare time: when, over the last window of at least
 * {@link LOAD_WINDOW_MS}, capture kept the loop busy less than {@link LOAD_SLACK} of the time, a small chunk is applied
 * between requests (a request arriving meanwhile waits at most one small chunk). A burst keeps the loop busy, so it
 * is never slowed by this; waiting for the writer's idle delay of quiet alone left a steady stream of requests unapplied
 * until the backlog bound, and every report then waited for that backlog.
 */
export const LOAD_WINDOW_MS = 250;
export const LOAD_SLACK = 0.5;

/**
 * How much of the event loop capture used over the last completed window of at least {@link LOAD_WINDOW_MS}: the
 * loop's utilization less the time the apply itself took, so the apply does not mistake its own work for load.
 * Before a first window completes the loop counts as busy.
 *
 * @example
 * const loop = captureLoopShare();
 * if (loop.captureShare() < LOAD_SLACK) loop.applied(applyOneSmallChunk());
 */
export function captureLoopShare() {
  let mark = performance.eventLoopUtilization();
  let applyMs = 0;
  let share = 1;
  return {
    applied(ms: number) {
      applyMs += ms;
    },
    captureShare(): number {
      const window = performance.eventLoopUtilization(mark);
      const total = window.active + window.idle;
      if (total >= LOAD_WINDOW_MS) {
        share = Math.max(0, window.active - applyMs) / total;
        mark = performance.eventLoopUtilization();
        applyMs = 0;
      }
      return share;
    },
  };
}
