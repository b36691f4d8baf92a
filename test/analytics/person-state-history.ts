/**
 * Random developer histories for the per-person state's property tests (person-state.test.ts,
 * person-state-evidence.test.ts): milestones, calls (error codes, unverified keys, runs of more failures than the call
 * facts keep), page views with and without a path, and identity merges, at instants many events share, written in
 * batches with retried uuids.
 */
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { writeEvents } from '../../api/ingest/store.ts';
import type { NormalizedEvent } from '../../api/ingest/validate.ts';
import type { SqlDatabase } from '../../api/storage/sql/interface.ts';
import { type Ev, iso, normalized, T0 } from './support.ts';

/** One time unit of the histories; the report range is units 12 to 24. */
export const UNIT = 30 * 60_000;
/** The report range of the tests: units 12 to 24, with events from unit −2 to 26 around it. */
export const FROM = T0 + 12 * UNIT;
export const TO = T0 + 24 * UNIT - 1;
/** The report range as query parameters. */
export const range = { from: iso(FROM), to: iso(TO) };
const MILESTONES = ['signed_up', 'api_key_created', 'support_ticket_created', 'quickstart_started'];
const PEOPLE = ['u0', 'u1', 'u2'];
const ANONYMOUS = ['a0', 'a1', 'a2', 'a3'];

/**
 * Funnels the state answers: default, any order, a repeated step with an exclusion, first success first, page view
 * first. The first two and the last flag every step anyone dropped at (`minConversion` 1), so their flags' evidence
 * is compared often; persons stalled after a page view or a first success often failed calls after succeeding, which
 * only the copy of every failed call answers (api/analytics/person-state/failed-calls.ts).
 */
export const FUNNELS: Array<Record<string, string>> = [
  { window: '2h', minConversion: '1' },
  { window: '3h', order: 'any', minConversion: '1' },
  {
    window: '4h',
    steps: 'signed_up,api_key_created,signed_up',
    exclusions: JSON.stringify([{ event: 'support_ticket_created', fromStep: 0, toStep: 2 }]),
  },
  { window: '1d', steps: 'first_successful_call,support_ticket_created,quickstart_started', minConversion: '0.9' },
  {
    window: '2h',
    order: 'any',
    steps: 'quickstart_started,signed_up',
    exclusions: JSON.stringify([{ event: 'first_successful_call', fromStep: 0, toStep: 1 }]),
  },
  { window: '2h', steps: '$pageview,signed_up,api_key_created', minConversion: '1' },
];

const eventArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('milestone' as const), name: fc.constantFrom(...MILESTONES), who: fc.constantFrom(...PEOPLE, ...ANONYMOUS) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('call' as const),
      status: fc.constantFrom(200, 201, 400, 401, 403, 429, 500),
      // Error codes, and keys the API could not verify (left out of the evidence only when refused with 401 / 403).
      code: fc.constantFrom(undefined, 'invalid_api_key', 'rate_limited'),
      unverified: fc.boolean(),
      who: fc.constantFrom(...PEOPLE, ...ANONYMOUS),
    }),
  },
  // More failed calls in a row than the call facts keep (MAX_FIRST_FAILURES), one millisecond apart.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('failures' as const), count: fc.integer({ min: 48, max: 53 }), who: fc.constantFrom(...PEOPLE) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('pageview' as const),
      path: fc.constantFrom('/docs/first-call/', '/docs/keys/', undefined),
      who: fc.constantFrom(...PEOPLE, ...ANONYMOUS),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom('$identify' as const, '$create_alias' as const),
      who: fc.constantFrom(...PEOPLE),
      other: fc.constantFrom(...ANONYMOUS),
    }),
  },
);

type Generated = {
  kind: string;
  who: string;
  name?: string;
  status?: number;
  code?: string;
  unverified?: boolean;
  count?: number;
  path?: string;
  other?: string;
};

/** The events of one generated item at `at`. */
function eventsOf(g: Generated, at: number): Ev[] {
  if (g.kind === 'milestone') return [{ event: g.name!, who: g.who, at }];
  if (g.kind === 'call') {
    const props = {
      status: g.status,
      endpoint: '/v1/messages',
      method: 'POST',
      duration_ms: 40,
      error_code: g.code,
      key_verified: g.unverified ? false : undefined,
    };
    return [{ event: 'api_call', who: g.who, at, props: JSON.parse(JSON.stringify(props)) }];
  }
  if (g.kind === 'failures') {
    return Array.from({ length: g.count! }, (_, i) => ({ event: 'api_call', who: g.who, at: at + i, props: { status: 500, error_code: `e${i % 3}` } }));
  }
  if (g.kind === 'pageview') return [{ event: '$pageview', who: g.who, at, props: g.path === undefined ? {} : { $pathname: g.path } }];
  if (g.kind === '$identify') return [{ event: '$identify', who: g.who, at, props: { $anon_distinct_id: g.other } }];
  return [{ event: '$create_alias', who: g.who, at, props: { alias: g.other } }];
}

/** A random history: up to 28 generated items, each at a unit (or a millisecond past one) in one of four batches. */
export const historyArb = fc.array(
  fc.record({
    event: eventArb,
    // Whole units, or one millisecond past one: many events share an instant.
    unit: fc.integer({ min: -2, max: 26 }),
    ms: fc.constantFrom(0, 0, 1),
    batch: fc.nat(3),
    // Sent again (same uuid) in a later batch.
    retry: fc.option(fc.nat(3), { freq: 4 }),
  }),
  { minLength: 1, maxLength: 28 },
);

/** A generated history. */
export type History = typeof historyArb extends fc.Arbitrary<infer T> ? T : never;

/** Stores one batch of events through the ingest store. */
export async function write(database: SqlDatabase, events: NormalizedEvent[]): Promise<void> {
  if (events.length > 0) await database.transaction((tx) => writeEvents(tx, [events]));
}

/** Every table the ingest store writes for a history: events, identity, call traffic and per-person state. */
const STORED_TABLES = [
  'events',
  'person_distinct_ids',
  'persons',
  'person_call_facts',
  'first_call_failures',
  'api_call_rollups',
  'api_call_totals',
  'person_milestones',
  'person_page_views',
  'person_last_pages',
] as const;

/** Empties every table the histories write, and asks every in-memory copy to reload. */
export async function reset(database: SqlDatabase): Promise<void> {
  for (const table of STORED_TABLES) await database.run(sql`DELETE FROM ${sql.identifier(table)}`);
  await database.run(sql`INSERT INTO person_state_changes (person_id) VALUES (-1)`);
}

/** A history's events in the batches they are written in (retries again in a later batch). */
export function batchesOf(history: History): NormalizedEvent[][] {
  const batches: NormalizedEvent[][] = [[], [], [], [], [], [], [], []];
  for (const item of history) {
    for (const event of eventsOf(item.event, T0 + item.unit * UNIT + item.ms).map(normalized)) {
      batches[item.batch]!.push(event);
      if (item.retry !== null) batches[item.batch + 1 + item.retry]!.push(event);
    }
  }
  return batches.filter((batch) => batch.length > 0);
}
