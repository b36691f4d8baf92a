import { gzipSync } from 'node:zlib';
import { uuidv7 } from 'uuidv7';

/** One event as posthog-js sends it, with a fresh UUIDv7 unless one is given. */
export function loadEvent(token: string, distinctId: string, uuid = uuidv7(), event = '$pageview') {
  return {
    uuid,
    event,
    timestamp: new Date().toISOString(),
    properties: { token, distinct_id: distinctId, $current_url: 'http://localhost/docs/quickstart/', $pathname: '/docs/quickstart/' },
  };
}

export interface LoadResult {
  /** Every uuid whose request got a 200. */
  acknowledged: Set<string>;
  /** Requests that ended in a network error (server gone mid-request). */
  failed: number;
  /** Status code → count, for anything that was not a network error. */
  statuses: Map<number, number>;
  /** Network error code (ECONNREFUSED, UND_ERR_SOCKET, ...) → count. */
  errors: Map<string, number>;
}

/**
 * Runs `clients` concurrent senders against `url` until `stop()` returns true or a sender's request fails.
 * Each request is a single event (`/i/v0/e/`) or a `/batch/` of 2–20, chosen by a counter so runs are repeatable.
 */
export async function runLoad(opts: {
  url: string;
  token: string;
  clients: number;
  stop: () => boolean;
  /** Events sent again (same uuid) now and then, as SDK retries would. */
  replay?: string[];
}): Promise<LoadResult> {
  const result: LoadResult = { acknowledged: new Set(), failed: 0, statuses: new Map(), errors: new Map() };
  let sequence = 0;
  async function client(id: number) {
    while (!opts.stop()) {
      const n = ++sequence;
      const size = n % 3 === 0 ? 2 + (n % 19) : 1;
      const events = Array.from({ length: size }, (_, i) => {
        const replayed = opts.replay && i === 0 && n % 7 === 0 ? opts.replay[n % opts.replay.length] : undefined;
        return loadEvent(opts.token, `crash-${id}-${n % 5}`, replayed);
      });
      if (n % 11 === 0) {
        const identify = loadEvent(opts.token, `user-${id}`, undefined, '$identify');
        events.push({ ...identify, properties: { ...identify.properties, $anon_distinct_id: `crash-${id}-${n % 5}` } as typeof identify.properties });
      }
      const single = events.length === 1;
      // Every other batch gzip'd, as posthog-node sends them: those are logged as received (api/ingest/raw-log.ts).
      const gzip = !single && n % 2 === 0;
      const json = JSON.stringify(single ? events[0] : { api_key: opts.token, batch: events });
      try {
        const res = await fetch(`${opts.url}${single ? '/i/v0/e/' : '/batch/'}`, {
          method: 'POST',
          headers: gzip ? { 'content-type': 'application/json', 'content-encoding': 'gzip' } : { 'content-type': 'application/json' },
          body: gzip ? gzipSync(json) : json,
        });
        await res.arrayBuffer();
        result.statuses.set(res.status, (result.statuses.get(res.status) ?? 0) + 1);
        if (res.status === 200) for (const e of events) result.acknowledged.add(e.uuid);
      } catch (err) {
        const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        result.errors.set(code, (result.errors.get(code) ?? 0) + 1);
        result.failed += 1;
        return;
      }
    }
  }
  await Promise.all(Array.from({ length: opts.clients }, (_, i) => client(i)));
  return result;
}
