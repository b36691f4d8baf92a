/**
 * The platform-shaped history of `npm run bench:scale`: a deterministic stream of events in time order, each with
 * the flat row DuckDB gets for the same event. Developers follow a journey (read the docs, sign up, create a key,
 * call the API, vote on pages); who acts is heavy-tailed, so most developers make a few calls and a few make most of
 * them. Every slot is 90% a call, 8% a page view, 2% a milestone; a call slot of a developer without a key yet is
 * a page view (still reading) or their next milestone (sign up, create a key), so the printed mix is the real one.
 */
import { uuidv7 } from 'uuidv7';
import type { NormalizedEvent } from '../../../api/ingest/validate.ts';

export const DAY = 86_400_000;
/** The history ends here; reports read the 30 days before it. */
export const END = Date.UTC(2026, 5, 1);
/** The history spans these 45 days. */
export const SPAN = 45 * DAY;

const ENDPOINTS = ['POST /v1/messages', 'GET /v1/messages/:id', 'GET /v1/messages', 'POST /v1/keys', 'DELETE /v1/messages/:id', 'GET /v1/usage'];
const STATUSES = [200, 200, 200, 200, 200, 200, 200, 200, 201, 201, 204, 400, 401, 404, 429, 500];
const PAGES = 40;

/** One event as DuckDB stores it: the developer is the person (the history has no identity merges). */
export interface FlatEvent {
  person: number;
  ts: number;
  event: string;
  endpoint: string | null;
  status: number | null;
  duration: number | null;
}

/** A deterministic PRNG (mulberry32), so runs compare. */
export function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normalized(name: string, who: number, at: number, properties: Record<string, unknown>): NormalizedEvent {
  return {
    uuid: uuidv7(),
    event: name,
    distinctId: `dev-${who}`,
    timestamp: at,
    receivedAt: at,
    properties,
    propertiesJson: JSON.stringify(properties),
    set: undefined,
    setOnce: undefined,
  };
}

/** The history of `events` events from `developers` developers, as a generator of (event, flat row) pairs. */
export function createHistory(events: number, developers: number) {
  const rand = prng(7);
  /** 0: reading, 1: signed up, 2: has a key. */
  const stage = new Uint8Array(developers);
  /**
   * Developers arrive over time, numbered in arrival order: a tenth are there at the start, the rest arrive evenly,
   * so signups continue through the range the reports read. Among the `arrived`, developer d is picked with a weight
   * falling like a power of d (the oldest customers call most), and 30% of picks are uniform.
   */
  const developer = (arrived: number) => (rand() < 0.3 ? Math.floor(rand() * arrived) : Math.min(arrived - 1, Math.floor(arrived ** (rand() ** 1.4)) - 1));
  const counts = new Map<string, number>();

  function nth(i: number): [NormalizedEvent, FlatEvent] {
    const at = END - SPAN + Math.floor((i / events) * SPAN);
    const who = developer(Math.max(1, Math.ceil(developers * (0.1 + (0.9 * i) / events))));
    const r = rand();
    let name: string;
    let properties: Record<string, unknown>;
    let flat: Partial<FlatEvent> = {};
    if (r < 0.9 && stage[who] === 2) {
      const endpoint = ENDPOINTS[Math.floor(rand() ** 2 * ENDPOINTS.length)]!;
      const status = STATUSES[Math.floor(rand() * STATUSES.length)]!;
      // Log-normal-ish latency: mostly tens of ms, a long tail into seconds.
      const duration = Math.round(Math.exp(3 + rand() * 2 + (rand() < 0.02 ? 3 : 0)));
      name = 'api_call';
      properties = { endpoint, method: endpoint.split(' ')[0], status, duration_ms: duration, ...(status >= 400 ? { error_code: `e${status}` } : {}) };
      flat = { endpoint, status, duration };
    } else if (r < 0.9 ? rand() < 0.5 : r < 0.98) {
      name = '$pageview';
      properties = { $pathname: `/docs/page-${Math.floor(rand() * PAGES)}/`, title: 'Docs page' };
    } else if (stage[who]! < 2) {
      name = stage[who] === 0 ? 'signed_up' : 'api_key_created';
      stage[who]! += 1;
      properties = {};
    } else {
      name = 'doc_feedback';
      properties = { path: `/docs/page-${Math.floor(rand() * PAGES)}/`, helpful: rand() < 0.7 };
    }
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return [normalized(name, who, at, properties), { person: who, ts: at, event: name, endpoint: null, status: null, duration: null, ...flat }];
  }

  return {
    nth,
    /** Events generated so far, by name. */
    counts: () => counts,
  };
}
