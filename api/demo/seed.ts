import { sql } from 'drizzle-orm';
import type { IngestDatabase } from '../import/database.ts';
import { writeEvents } from '../ingest/store.ts';
import type { NormalizedEvent } from '../ingest/validate.ts';
import { type DemoEvent, developerJourney } from './journeys.ts';
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

/** Events per store call: the demo is ~50k events, and one huge identity chunk would hold a lot of memory. */
const SEED_CHUNK = 5_000;

/**
 * Loads the demo history through the real ingest store (validation-shaped events, dedup, identity merge), on either
 * dialect, in one transaction that excludes live capture's log processor, but only when there are no events yet
 * (nothing in `events` nor in the ingest log), so a real database is never polluted. Instances starting together on
 * an empty database take turns, and only the first finds it empty, so the demo is loaded once.
 * Returns what was stored, or `undefined` when the database already had events.
 */
export async function seedDemoIfEmpty(target: IngestDatabase, options: DemoOptions = {}): Promise<DemoSummary | undefined> {
  return target.withApplyLock(async (tx) => {
    if (await tx.get(sql`SELECT 1 AS found FROM events UNION ALL SELECT 1 FROM ingest_log LIMIT 1`)) return undefined;
    const { events, summary } = generateDemoEvents(options);
    for (let i = 0; i < events.length; i += SEED_CHUNK) await writeEvents(tx, [events.slice(i, i + SEED_CHUNK)]);
    const persons = (await tx.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM persons`))?.n ?? 0;
    return { ...summary, events: events.length, persons };
  });
}
