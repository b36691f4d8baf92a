/** Paths posthog-js posts events to on this server. */
const CAPTURE_PATH = /^\/(e|i\/v0\/e|batch|capture|track)\/?$/;

/**
 * Resolves once the browser has finished a capture request started after `since` (a `performance.now()` value),
 * or after `timeoutMs`. posthog-js compresses an event before it calls `fetch`, so navigating straight after
 * `identify()` can drop the `$identify` that joins the anonymous reading to the account; waiting for the request
 * to leave keeps it. The timeout bounds the wait when tracking is blocked.
 */
export function captureSent(since: number, timeoutMs = 1500): Promise<void> {
  return new Promise((resolve) => {
    let observer: PerformanceObserver | undefined;
    const finish = () => {
      observer?.disconnect();
      window.clearTimeout(timer);
      resolve();
    };
    const timer = window.setTimeout(finish, timeoutMs);
    try {
      observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          if (entry.startTime >= since && CAPTURE_PATH.test(new URL(entry.name, window.location.href).pathname)) return finish();
        }
      });
      observer.observe({ type: 'resource', buffered: true });
    } catch {
      // No PerformanceObserver: the timeout alone decides.
    }
  });
}
