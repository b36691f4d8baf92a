/**
 * Shutdown hooks: work that must finish after HTTP has drained but while the event writer and the database are
 * still open, such as flushing the backend's posthog-node client. server.ts runs them in registration order on
 * SIGTERM/SIGINT, each bounded by a timeout so one stuck hook cannot stop the process from exiting.
 *
 * The listener is already closed when hooks run: a posthog-node client that targets this same server should
 * deliver in-process (its `fetch` option calling `app.fetch`) rather than over the network.
 */
type Hook = { name: string; run: () => unknown };

const hooks: Hook[] = [];

/** Registers `run` to be awaited during graceful shutdown. Returns a function that unregisters it. */
export function onShutdown(name: string, run: () => unknown): () => void {
  const hook = { name, run };
  hooks.push(hook);
  return () => {
    const i = hooks.indexOf(hook);
    if (i >= 0) hooks.splice(i, 1);
  };
}

/** Runs every registered hook, in order; a hook that throws or exceeds `timeoutMs` is logged and skipped. */
export async function runShutdownHooks(timeoutMs: number, log: (line: string) => void = console.error): Promise<void> {
  for (const hook of [...hooks]) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(hook.run), timeout]);
      if (outcome === 'timeout') log(`[onramp] shutdown hook "${hook.name}" timed out after ${timeoutMs} ms`);
    } catch (err) {
      log(`[onramp] shutdown hook "${hook.name}" failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
