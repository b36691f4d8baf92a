import type { Database } from 'better-sqlite3';
import { createEventStore } from '../ingest/store.ts';
import type { NormalizedEvent } from '../ingest/validate.ts';
import { developerJourney, type DemoEvent } from './journeys.ts';
import { createRandom, type Random } from './random.ts';

const DAY = 24 * 60 * 60 * 1000;

export interface DemoOptions {
  /** End of the generated history; defaults to the current time. */
  now?: number;
  /** Length of the history in weeks (default 8). */
  weeks?: number;
  /** Number of developers who find the portal (default 3000). */
  developers?: number;
  /** PRNG seed; the same seed and `now` always give the same events. */
  seed?: number;
}

export interface DemoSummary {
  events: number;
  persons: number;
  developers: number;
  from: number;
  to: number;
  /** Start of the last week, from which first calls break; see journeys.ts. */
  incidentStart: number;
}

const DEFAULT_SEED = 20_240_611;

/** Arrival times lean towards the recent weeks, as a growing product's would. */
function arrivalTime(rng: Random, from: number, to: number): number {
  return from + (to - from) * rng.next() ** (1 / 1.3);
}

function toNormalized(event: DemoEvent, rng: Random): NormalizedEvent {
  return {
    uuid: rng.uuid(),
    event: event.event,
    distinctId: event.distinctId,
    timestamp: event.timestamp,
    receivedAt: event.timestamp + rng.int(20, 400),
    properties: event.properties,
    propertiesJson: JSON.stringify(event.properties),
    set: event.set,
    setOnce: undefined,
  };
}

/**
 * Generates the demo history as NormalizedEvents, deterministically. Each developer's events are in time order,
 * so storing them in sequence replays merges exactly as live capture would see them.
 */
export function generateDemoEvents(options: DemoOptions = {}): { events: NormalizedEvent[]; summary: Omit<DemoSummary, 'events' | 'persons'> } {
  const now = options.now ?? Date.now();
  const weeks = options.weeks ?? 8;
  const developers = options.developers ?? 3000;
  const rng = createRandom(options.seed ?? DEFAULT_SEED);
  const from = now - weeks * 7 * DAY;
  const incidentStart = now - 7 * DAY;
  const events: NormalizedEvent[] = [];
  for (let index = 0; index < developers; index++) {
    const journey = developerJourney(rng, { now, incidentStart, index }, arrivalTime(rng, from, now));
    for (const event of journey) events.push(toNormalized(event, rng));
  }
  return { events, summary: { developers, from, to: now, incidentStart } };
}

/**
 * Loads the demo history through the real ingest store (validation-shaped events, dedup, identity merge) in one
 * transaction, but only when the events table is empty, so a real database is never polluted.
 * Returns what was stored, or `undefined` when the database already had events.
 */
export function seedDemoIfEmpty(sqlite: Database, options: DemoOptions = {}): DemoSummary | undefined {
  const hasEvents = sqlite.prepare('SELECT 1 FROM events LIMIT 1').get();
  if (hasEvents) return undefined;
  const { events, summary } = generateDemoEvents(options);
  createEventStore(sqlite).writeBatches([events]);
  const persons = sqlite.prepare<[], number>('SELECT COUNT(*) FROM persons').pluck().get() ?? 0;
  return { ...summary, events: events.length, persons };
}
