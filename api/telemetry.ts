import { PostHog, type PostHogOptions } from 'posthog-node';

/** Server-side funnel events with their properties (the event contract; names are fixed). */
export type ServerEvent =
  | { event: 'signed_up'; properties?: Record<string, unknown> }
  | { event: 'api_key_created'; properties: { key_prefix: string; name: string } }
  | { event: 'api_key_revoked'; properties: { key_prefix: string } }
  | {
      event: 'api_call';
      properties: { status: number; method: string; endpoint: string; duration_ms: number; error_code?: string; key_prefix: string | null };
    }
  | { event: 'support_ticket_created'; properties: { topic: string; path: string } };

/** The backend's analytics client: a real posthog-node client behind a small interface that never throws. */
export interface Telemetry {
  /** Queues an event for `distinctId` (the account id). Never throws; delivery failures are logged. */
  capture(distinctId: string, event: ServerEvent, timestamp?: Date): void;
  /** Sends everything queued; resolves when the capture endpoint answered. */
  flush(): Promise<void>;
  /** Flushes and stops the client (server shutdown). */
  shutdown(timeoutMs?: number): Promise<void>;
}

export interface TelemetryOptions {
  /** Project token (ONRAMP_PROJECT_TOKEN) — the capture endpoint refuses other tokens. */
  token: string;
  /** Capture host: Onramp itself by default, or PostHog. */
  host: string;
  /** Custom transport (posthog-node option); used to deliver in-process when there is no listening socket. */
  fetch?: PostHogOptions['fetch'];
  flushAt?: number;
  flushIntervalMs?: number;
  /**
   * Gzip batches (for a remote PostHog). Off by default: to Onramp itself it only adds latency, and the capture
   * route corrects timestamps by the gap between `sent_at` and arrival, so a slow send would shift events.
   */
  compress?: boolean;
}

/**
 * Builds the posthog-node client. Events are batched (20 or every second) so a burst of sandbox calls costs one
 * capture request, and retried by posthog-node on network failure.
 */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  const client = new PostHog(options.token, {
    host: options.host,
    flushAt: options.flushAt ?? 20,
    flushInterval: options.flushIntervalMs ?? 1000,
    fetchRetryCount: 3,
    disableGeoip: true,
    disableCompression: !options.compress,
    enableExceptionAutocapture: false,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  let lastLogged = 0;
  client.on('error', (err: unknown) => {
    // A down analytics host must not flood the log: one line a minute is enough to notice.
    const now = Date.now();
    if (now - lastLogged < 60_000) return;
    lastLogged = now;
    console.warn(`[onramp] telemetry: could not deliver events to ${options.host}: ${(err as Error)?.message ?? String(err)}`);
  });

  return {
    capture(distinctId, { event, properties }, timestamp) {
      try {
        client.capture({ distinctId, event, properties: properties ?? {}, ...(timestamp ? { timestamp } : {}) });
      } catch (err) {
        console.warn(`[onramp] telemetry: capture failed: ${(err as Error).message}`);
      }
    },
    async flush() {
      try {
        await client.flush();
      } catch (err) {
        console.warn(`[onramp] telemetry: flush failed: ${(err as Error).message}`);
      }
    },
    async shutdown(timeoutMs = 5000) {
      try {
        await client.shutdown(timeoutMs);
      } catch (err) {
        console.warn(`[onramp] telemetry: shutdown flush failed: ${(err as Error).message}`);
      }
    },
  };
}

/**
 * Telemetry for a backend that is its own analytics host (no ONRAMP_POSTHOG_HOST): each event goes straight to the
 * capture core (`ingest`), through the same validator and server-token rule as an HTTP request, without an HTTP
 * round trip, a socket or a second serialization. `ingest` resolves once the event is stored; `flush` and
 * `shutdown` wait for every event captured so far, so server.ts's shutdown hook stores the last ones before the
 * writer closes.
 */
export function inProcessTelemetry(ingest: (payload: unknown) => Promise<void>, serverToken: string): Telemetry {
  const pending = new Set<Promise<void>>();
  let lastLogged = 0;
  const settled = async () => {
    while (pending.size > 0) await Promise.all([...pending]);
  };
  return {
    capture(distinctId, { event, properties }, timestamp) {
      // `$lib` says where the event came from, as posthog-node's own `$lib` did when these events went through it.
      const payload = {
        api_key: serverToken,
        event,
        distinct_id: distinctId,
        properties: { ...properties, $lib: 'onramp' },
        timestamp: (timestamp ?? new Date()).toISOString(),
      };
      const stored = ingest(payload).catch((err: unknown) => {
        // A rejected event is a bug in the backend's own events, and a full writer is transient: log, at most once a minute.
        const now = Date.now();
        if (now - lastLogged < 60_000) return;
        lastLogged = now;
        console.warn(`[onramp] telemetry: could not store ${event}: ${(err as Error)?.message ?? String(err)}`);
      });
      pending.add(stored);
      void stored.finally(() => pending.delete(stored));
    },
    flush: settled,
    async shutdown(timeoutMs = 5000) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([settled(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    },
  };
}

/** A posthog-node transport that hands requests to an in-process fetch handler (the app) instead of a socket. */
export function inProcessFetch(handler: (request: Request) => Response | Promise<Response>): NonNullable<PostHogOptions['fetch']> {
  return async (url, init) => {
    const { body, ...rest } = init;
    const request = new Request(url, { ...rest, body: body as BodyInit | undefined } as RequestInit);
    return handler(request);
  };
}
