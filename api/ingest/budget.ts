import { ApiError } from '../errors.ts';

/** Body bytes all capture requests may hold in memory at once while their bodies arrive and are decoded. */
export const MAX_INFLIGHT_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Bounds memory held by request bodies that are still arriving or being decoded, which the writer's event-count
 * bound cannot see: thousands of slow 1 MiB uploads would otherwise all be buffered. A request reserves its
 * declared size (or the 1 MiB cap when chunked) before reading; past the budget it gets 503 + Retry-After.
 * A request is always admitted when nothing else is reserved, so a budget below one body cannot starve it.
 */
export function createBodyBudget(maxBytes = MAX_INFLIGHT_BODY_BYTES) {
  let reserved = 0;
  return {
    /** Reserves `bytes`; returns the release function (call it once, in `finally`). */
    reserve(bytes: number): () => void {
      if (reserved > 0 && reserved + bytes > maxBytes) {
        throw new ApiError(503, 'overloaded', `server: too many request bodies in flight (${maxBytes} bytes); retry shortly`, {
          headers: { 'Retry-After': '1' },
        });
      }
      reserved += bytes;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        reserved -= bytes;
      };
    },
    get reservedBytes() {
      return reserved;
    },
  };
}
