import { uuidv7 } from 'uuidv7';
import type { NormalizedEvent } from '../../api/ingest/validate.ts';
import type { OnrampDb } from '../../db/client.ts';
import { adminHeaders, pgDbOf } from '../support/app.ts';
import { storePgEvents } from '../support/pg-test-db.ts';
import { createEventStore } from '../support/sync-event-store.ts';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
/** A fixed "now" so reports are reproducible: 2026-03-31T00:00:00Z. */
export const T0 = Date.UTC(2026, 2, 1);
export const NOW = Date.UTC(2026, 2, 31);

export interface Ev {
  event: string;
  who: string;
  at: number;
  props?: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An event as the capture path would hand it to the store. */
export function normalized(e: Ev): NormalizedEvent {
  const properties = e.props ?? {};
  return {
    uuid: uuidv7(),
    event: e.event,
    distinctId: e.who,
    timestamp: e.at,
    receivedAt: e.at,
    properties,
    propertiesJson: JSON.stringify(properties),
    // As validation does: `$set` / `$set_once` in the properties update the person.
    set: isObject(properties.$set) ? properties.$set : undefined,
    setOnce: isObject(properties.$set_once) ? properties.$set_once : undefined,
  };
}

/**
 * Stores events through the real store (identity merges included), in the given order: SQLite's, or in the
 * `postgres` project PostgreSQL's (then it resolves once they are committed, so always await it).
 */
export function ingest(db: OnrampDb, events: Ev[]): void | Promise<void> {
  const pg = pgDbOf(db);
  if (pg) return storePgEvents(pg, events.map(normalized));
  createEventStore(db.$client).writeBatches([events.map(normalized)]);
}

export const call = (who: string, at: number, status: number, extra: Record<string, unknown> = {}): Ev => ({
  event: 'api_call',
  who,
  at,
  props: { status, method: 'POST', endpoint: '/sandbox/v1/messages', duration_ms: 50, key_prefix: 'onr_test_abcdefgh', ...extra },
});

export const iso = (ms: number) => new Date(ms).toISOString();

type Requester = { request: (path: string, init?: RequestInit) => Response | Promise<Response> };

/** GETs a report as the admin and returns status and JSON. */
export async function getReport<T = any>(app: Requester, path: string, query: Record<string, string> = {}) {
  const qs = new URLSearchParams(query).toString();
  const res = await app.request(`/api/v1/reports/${path}${qs ? `?${qs}` : ''}`, { headers: adminHeaders });
  return { status: res.status, body: (await res.json()) as T };
}
