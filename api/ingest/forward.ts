import { PostHog, type PostHogOptions } from 'posthog-node';
import type { NormalizedEvent } from './validate.ts';

export interface ForwarderOptions {
  /** PostHog host (ONRAMP_FORWARD_HOST), e.g. https://eu.i.posthog.com. */
  host: string;
  /** Project token of the receiving PostHog project (ONRAMP_FORWARD_TOKEN). */
  token: string;
  /** Events held while PostHog is slow or down; past it new events are dropped (and counted). */
  maxQueueSize?: number;
  /** Queue length that starts a send. */
  flushAt?: number;
  /** Longest an event waits for a send when traffic is light. */
  flushIntervalMs?: number;
  /** Most events per request; posthog-node sends one request at a time, so this sets the throughput ceiling. */
  maxBatchSize?: number;
  /** Retries per request after a network error, 408, 429 or 5xx (posthog-node's backoff). */
  fetchRetryCount?: number;
  fetchRetryDelayMs?: number;
  requestTimeoutMs?: number;
  /** Shortest gap between two warnings about failures. */
  warnIntervalMs?: number;
  /** Where warnings go; console.warn by default. */
  log?: (line: string) => void;
}

/** What happened to the events handed to the forwarder so far. */
export interface ForwarderStats {
  /** Accepted by PostHog (2xx). */
  forwarded: number;
  /** Given up on: PostHog refused them (4xx) or kept failing through every retry. */
  failed: number;
  /** Turned away by the full queue while PostHog was too slow or down. */
  dropped: number;
  /** Waiting in the queue now. */
  queued: number;
}

type QueueKey = Parameters<PostHog['getPersistedProperty']>[0];
type EventProperties = NonNullable<Parameters<PostHog['captureStateless']>[2]>;
/** posthog-node's in-memory event queue (PostHogPersistedProperty.Queue), read through its public accessor. */
const EVENT_QUEUE = 'queue' as QueueKey;

/**
 * Whether posthog-node removed a failed batch from its queue for good. It keeps a batch after a network error (the
 * next flush tries again) and after a 413 for several events (it halves the batch); anything else is discarded.
 */
function isGivenUp(err: unknown, size: number): boolean {
  if ((err as Error | undefined)?.name === 'PostHogFetchNetworkError') return false;
  return !((err as { status?: number } | undefined)?.status === 413 && size > 1);
}

function describeFailure(err: unknown): string {
  const status = (err as { status?: number } | undefined)?.status;
  if (typeof status === 'number') return `HTTP ${status}`;
  const cause = (err as { error?: unknown } | undefined)?.error;
  const message = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!;
}

/** Waits for `work` at most `ms`; the work itself carries on (it is only ever a flush that cannot reject). */
async function within(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** The host as it may be printed: no user info, query or fragment. */
export function printableHost(host: string): string {
  const url = new URL(host);
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

/**
 * posthog-node with a few seams opened: events go in through the cheap stateless capture and keep exactly their
 * own properties (no `$lib` of this server over the browser's), each send is counted by outcome, and failed
 * background flushes reach our rate-limited warning instead of posthog-node's console.error on every attempt.
 */
class MirrorClient extends PostHog {
  forwarded = 0;
  failed = 0;
  dropped = 0;
  readonly #limit: number;
  readonly #onTrouble: (err: unknown) => void;

  constructor(token: string, options: PostHogOptions & { maxQueueSize: number }, onTrouble: (err: unknown) => void) {
    super(token, options);
    this.#limit = Math.max(options.maxQueueSize, options.flushAt ?? 20);
    this.#onTrouble = onTrouble;
  }

  get queued(): number {
    return (this.getPersistedProperty(EVENT_QUEUE) as unknown[] | undefined)?.length ?? 0;
  }

  /**
   * Queues one event through posthog-node's stateless capture: the same queue, batching, gzip and retries as
   * `capture()`, without its per-event promise and context lookup, which cost more CPU than storing the event.
   */
  mirror(event: NormalizedEvent): void {
    // A full queue turns the new event away rather than let posthog-node shift out the oldest: shifting a long
    // array per event would cost ingest CPU exactly when PostHog is already behind.
    if (this.queued >= this.#limit) {
      this.dropped++;
      this.#onTrouble(undefined);
      return;
    }
    let properties = event.properties;
    if ((event.set && !('$set' in properties)) || (event.setOnce && !('$set_once' in properties))) {
      properties = { ...properties, ...(event.set ? { $set: event.set } : {}), ...(event.setOnce ? { $set_once: event.setOnce } : {}) };
    }
    this.captureStateless(event.distinctId, event.event, properties as EventProperties, { uuid: event.uuid, timestamp: new Date(event.timestamp) });
  }

  protected override getCommonEventProperties() {
    return {};
  }

  protected override async sendBatch(...args: Parameters<PostHog['sendBatch']>): Promise<void> {
    const size = args[0].length;
    try {
      await super.sendBatch(...args);
      this.forwarded += size;
    } catch (err) {
      if (isGivenUp(err, size)) this.failed += size;
      this.#onTrouble(err);
      throw err;
    }
  }

  protected override flushAutomatic(): Promise<void> {
    // Already counted and reported by sendBatch; rejecting here would make posthog-node log every failed attempt.
    return super.flushAutomatic().catch(() => undefined);
  }
}

/**
 * Mirrors committed events to a PostHog project with posthog-node: batched, gzipped, retried with backoff, held in
 * a bounded queue. Each event keeps its uuid, name, distinct id, timestamp and properties (`$set`/`$set_once`
 * included), so PostHog deduplicates a resend of the same uuid. Nothing here throws into the caller: failures are
 * counted and logged at most once per `warnIntervalMs`.
 */
export function createForwarder(options: ForwarderOptions) {
  const log = options.log ?? console.warn;
  const warnIntervalMs = options.warnIntervalMs ?? 60_000;
  const maxQueueSize = options.maxQueueSize ?? 10_000;
  const host = printableHost(options.host);
  let lastWarnedAt = -Infinity;

  const client: MirrorClient = new MirrorClient(
    options.token,
    {
      host: options.host,
      flushAt: options.flushAt ?? 100,
      flushInterval: options.flushIntervalMs ?? 1000,
      maxBatchSize: options.maxBatchSize ?? 1000,
      maxQueueSize,
      fetchRetryCount: options.fetchRetryCount ?? 3,
      fetchRetryDelay: options.fetchRetryDelayMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      // The request comes from this server, so PostHog would place every browser event at the server's location.
      disableGeoip: true,
      enableExceptionAutocapture: false,
    },
    (err) => warn(err),
  );

  function stats(): ForwarderStats {
    return { forwarded: client.forwarded, failed: client.failed, dropped: client.dropped, queued: client.queued };
  }

  function warn(err: unknown) {
    const now = Date.now();
    if (now - lastWarnedAt < warnIntervalMs) return;
    lastWarnedAt = now;
    const { forwarded, failed, dropped, queued } = stats();
    const problem = err === undefined ? 'is not keeping up' : `failed (${describeFailure(err)})`;
    log(
      `[onramp] mirror: PostHog at ${host} ${problem}; so far ${forwarded} forwarded, ${failed} given up after retries, ` +
        `${dropped} dropped at the full queue (limit ${maxQueueSize}), ${queued} waiting. Local ingestion is unaffected.`,
    );
  }

  async function flush(): Promise<void> {
    try {
      await client.flush();
    } catch (err) {
      warn(err);
    }
  }

  return {
    /** Queues committed events for PostHog. Never throws; returns at once. */
    capture(events: ReadonlyArray<NormalizedEvent>): void {
      for (const event of events) {
        try {
          client.mirror(event);
        } catch (err) {
          warn(err);
        }
      }
    },
    /** Sends everything queued now; resolves once PostHog answered or the attempt failed (never rejects). */
    flush,
    /**
     * Last flush within `timeoutMs`, then stops the timers. Events PostHog has not accepted by then are logged as
     * lost to the mirror (they are still in the local database).
     */
    async shutdown(timeoutMs = 2000): Promise<void> {
      const until = Date.now() + timeoutMs;
      await within(timeoutMs, flush());
      // posthog-node's own shutdown flushes again and prints the whole error when PostHog is down, so it only
      // runs (stopping its timers) once the queue is empty; otherwise the process is about to exit anyway.
      if (client.queued === 0) await within(Math.max(0, until - Date.now()), client.shutdown(Math.max(1, until - Date.now())).catch(warn));
      const { queued } = stats();
      if (queued > 0) log(`[onramp] mirror: ${queued} event(s) not forwarded to ${host} before shutdown (they are stored locally)`);
    },
    stats,
  };
}

export type Forwarder = ReturnType<typeof createForwarder>;
