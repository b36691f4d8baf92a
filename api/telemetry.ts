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

/** A posthog-node transport that hands requests to an in-process fetch handler (the app) instead of a socket. */
export function inProcessFetch(handler: (request: Request) => Response | Promise<Response>): NonNullable<PostHogOptions['fetch']> {
  return async (url, init) => {
    const { body, ...rest } = init;
    const request = new Request(url, { ...rest, body: body as BodyInit | undefined } as RequestInit);
    return handler(request);
  };
}
