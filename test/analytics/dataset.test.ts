/**
 * Every report on one rich dataset (the demo history plus hand-made edge cases), with many parameter sets, compared
 * whole with one stored snapshot. The suite runs on SQLite and on PostgreSQL against the same snapshot, so both
 * dialects must give the same JSON, byte for byte: ties cut by text order, breakdown values of every JSON type,
 * instants at the range and window limits.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { seedDemoIfEmpty } from '../../api/demo/seed.ts';
import { postgresIngestDatabase, sqliteIngestDatabase } from '../../api/import/database.ts';
import { pgDbOf, testApp } from '../support/app.ts';
import { call, DAY, type Ev, getReport, HOUR, ingest } from './support.ts';

const NOW = Date.UTC(2026, 2, 31, 12, 0, 0);
/** The hand-made cases live in [EDGE_FROM, EDGE_TO], inside the demo history, so every report mixes both. */
const EDGE_FROM = NOW - 20 * DAY;
const EDGE_TO = NOW - 10 * DAY;
const ms = (n: number) => String(n);

const FAILURES: Array<[number, Record<string, unknown>]> = [
  [401, { error_code: 'invalid_api_key' }],
  [500, {}],
  [429, { error_code: 'rate_limit_exceeded' }],
  [404, {}],
  [200, { error_code: 'soft_error' }],
  [400, { error_code: 'parameter_invalid', duration_ms: 12.5 }],
  [400, { error_code: 'Zeta_error' }],
  [400, { error_code: 'alpha_error' }],
  [400, { error_code: '_underscore' }],
  [400, { error_code: 'Éclair' }],
];
const LAST_PAGES = ['/docs/tie-a/', '/docs/errors/', '/docs/Upper/', '/docs/lower/', '/docs/_under/', '/docs/Éclair/', '/docs/404/', '/docs/zeta/'];

/** Hand-made cases the demo history does not pin down, all with numeric statuses as the SDKs send them. */
function edgeCases(): Ev[] {
  const E = EDGE_FROM;
  const F = EDGE_TO;
  const out: Ev[] = [];
  const ev = (event: string, who: string, at: number, props?: Record<string, unknown>) => out.push({ event, who, at, ...(props ? { props } : {}) });

  // Identify merge: anonymous reading and a vote fold into the signed-up person, who later changes the vote.
  ev('$pageview', 'edge-anon-1', E + HOUR, { $pathname: '/docs/edge-a/' });
  ev('doc_feedback', 'edge-anon-1', E + HOUR + 1000, { helpful: true, path: '/docs/edge-a/' });
  ev('signed_up', 'edge-user-1', E + 2 * HOUR, { plan: 'pro', source: 'search' });
  ev('$identify', 'edge-user-1', E + 2 * HOUR + 1, { $anon_distinct_id: 'edge-anon-1' });
  ev('api_key_created', 'edge-user-1', E + 3 * HOUR);
  out.push(call('edge-user-1', E + 4 * HOUR, 401, { error_code: 'invalid_api_key' }));
  out.push(call('edge-user-1', E + 5 * HOUR, 201));
  ev('doc_feedback', 'edge-user-1', E + 6 * HOUR, { helpful: false, path: '/docs/edge-a/', reason: 'outdated' });
  // Alias: later events under the alias belong to the same person.
  ev('signed_up', 'edge-user-2', E + 2 * HOUR, { plan: 'free' });
  ev('$create_alias', 'edge-user-2', E + 2 * HOUR + 5, { alias: 'edge-alias-2' });
  ev('api_key_created', 'edge-alias-2', E + 2 * HOUR + 10);
  out.push(call('edge-alias-2', E + 2 * HOUR + 20, 200, { endpoint: '/sandbox/v1/messages/{id}', method: 'GET' }));

  // Conversion windows of exactly 1 h: at the limit (in), 1 ms past it (out), same instant, before the start.
  const w0 = E + DAY;
  ev('signed_up', 'win-0', w0);
  ev('api_key_created', 'win-0', w0 + HOUR);
  out.push(call('win-0', w0 + HOUR, 201));
  ev('signed_up', 'win-1', w0);
  ev('api_key_created', 'win-1', w0 + HOUR + 1);
  ev('signed_up', 'win-2', w0 + 7);
  ev('api_key_created', 'win-2', w0 + 7);
  out.push(call('win-2', w0 + 7, 200));
  ev('api_key_created', 'win-3', w0 - 1);
  ev('signed_up', 'win-3', w0);

  // Range limits: exactly at from and to (in), 1 ms outside (the previous period, or out).
  ev('signed_up', 'range-from', E, { plan: 'edge' });
  ev('api_key_created', 'range-from', F);
  out.push(call('range-from', F, 201));
  ev('signed_up', 'range-before', E - 1, { plan: 'edge' });
  ev('api_key_created', 'range-before', E);
  ev('signed_up', 'range-to', F, { plan: 'edge' });
  ev('signed_up', 'range-after', F + 1);
  ev('$pageview', 'range-to', F, { $pathname: '/docs/limits/' });
  ev('$pageview', 'range-after', F + 1, { $pathname: '/docs/limits/' });
  ev('doc_feedback', 'range-to', F, { helpful: false, path: '/docs/limits/', reason: 'confusing', comment: 'At the very end' });
  ev('doc_feedback', 'range-before', E - 1, { helpful: true, path: '/docs/limits/' });

  // Breakdown values: repeated, missing, JSON null, number, boolean, empty, the string "null", a one-key object, and
  // more distinct values than the breakdown keeps (the rest become "Other").
  const plans: Array<unknown> = ['free', 'free', 'free', 'pro', 'pro', undefined, null, 5, true, '', 'null', 1.5, { tier: 1 }, 'Other'];
  for (let i = 0; i < 28; i++) plans.push(`v${String(i).padStart(2, '0')}`);
  plans.forEach((plan, i) => {
    const who = `bd-${i}`;
    ev('signed_up', who, E + 2 * DAY + i * 1000, plan === undefined ? { source: 'github' } : { plan, source: 'github' });
    if (i % 3 !== 0) ev('api_key_created', who, E + 2 * DAY + i * 1000 + HOUR);
    if (i % 6 === 1) out.push(call(who, E + 2 * DAY + i * 1000 + 2 * HOUR, 201));
  });
  // Two first touches at the same instant: the earliest stored one gives the value.
  ev('signed_up', 'bd-tie', E + 2 * DAY, { plan: 'first' });
  ev('signed_up', 'bd-tie', E + 2 * DAY, { plan: 'second' });
  // A failed and a successful call at the same instant (failed one stored first), then two 2xx at one instant.
  const T = E + 3 * DAY;
  ev('signed_up', 'fsc-tie', T - HOUR);
  out.push(call('fsc-tie', T, 500, { endpoint: '/fail' }));
  out.push(call('fsc-tie', T, 200, { endpoint: '/ok' }));
  ev('signed_up', 'fsc-tie-2', T - HOUR);
  out.push(call('fsc-tie-2', T, 201, { endpoint: '/first' }));
  out.push(call('fsc-tie-2', T, 200, { endpoint: '/second' }));

  // Stalled persons with failed calls (every kind of failure) and last pages, ties included.
  for (let i = 0; i < 40; i++) {
    const who = `stall-${i}`;
    const at = E + 4 * DAY + i * 60_000;
    ev('signed_up', who, at, { plan: 'stall' });
    if (i < 30) ev('api_key_created', who, at + HOUR);
    if (i < 30) {
      // Ten outcomes, three persons each: the top five are cut inside a tie, where text order decides.
      const [status, extra] = FAILURES[i % FAILURES.length]!;
      out.push(call(who, at + 2 * HOUR, status, extra));
      if (i % 4 === 0) out.push(call(who, at + 2 * HOUR + 10, 503, { endpoint: undefined, duration_ms: undefined }));
    }
    ev('$pageview', who, at + 3 * HOUR, { $pathname: LAST_PAGES[i % LAST_PAGES.length] });
    // Two page views at the same last instant: the later stored one is the last page.
    if (i % 5 === 0) ev('$pageview', who, at + 3 * HOUR, { $pathname: '/docs/tie-b/' });
    if (i % 7 === 0) ev('support_ticket_created', who, at + 4 * HOUR, { topic: 'api_keys' });
  }

  // A call without status or duration (no error rate, no latency), and fractional durations.
  out.push({ event: 'api_call', who: 'edge-user-1', at: E + 7 * HOUR, props: { endpoint: '/sandbox/v1/messages', method: 'POST' } });
  out.push(call('edge-user-1', E + 8 * HOUR, 201, { duration_ms: 0.25 }));

  // Votes: changed, at one instant (insertion order decides), the accepted spellings, and ones that are no vote.
  const V = E + 5 * DAY;
  const vote = (who: string, at: number, props: Record<string, unknown>) => ev('doc_feedback', who, at, { path: '/docs/vote/', ...props });
  ev('$pageview', 'vote-1', V - 1000, { $pathname: '/docs/vote/' });
  vote('vote-1', V, { helpful: true });
  vote('vote-1', V + 1, { helpful: false, reason: 'outdated' });
  vote('vote-2', V, { helpful: true, comment: 'Same instant A' });
  vote('vote-2', V, { helpful: false, reason: 'confusing', comment: 'Same instant B' });
  vote('vote-3', V, { helpful: 'true' });
  vote('vote-4', V, { helpful: 1 });
  vote('vote-5', V, { helpful: 0, reason: '' });
  vote('vote-6', V, { helpful: 'false', reason: 'outdated' });
  vote('vote-7', V, { helpful: 'yes', comment: 'not a vote' });
  vote('vote-8', V, { helpful: '1' });
  vote('vote-9', V, { helpful: false, reason: 'confusing', comment: '   ' });
  vote('vote-10', V, { helpful: false, reason: 'missing_example', comment: 5 });
  // Reasons tied in count, whose order differs between byte order and a linguistic collation.
  for (const [i, reason] of ['Outdated', 'confusing', '_other', 'Éclair'].entries()) vote(`vote-r${i}`, V, { helpful: false, reason });
  for (const path of ['/docs/Upper/', '/docs/lower/', '/docs/_under/']) {
    ev('$pageview', 'vote-1', V + 10, { $pathname: path });
    ev('doc_feedback', 'vote-1', V + 20, { helpful: false, path, reason: 'Outdated' });
  }
  // No `path`: the page comes from `$pathname`; a page with votes but no views.
  ev('doc_feedback', 'vote-11', V, { helpful: true, $pathname: '/docs/only-pathname/' });
  ev('doc_feedback', 'vote-12', V, { helpful: false, path: '/docs/never-viewed/', reason: 'outdated' });
  // More comments than a page lists.
  for (let i = 0; i < 55; i++)
    ev('doc_feedback', `commenter-${i}`, V + (i % 10) * 1000, { helpful: i % 2 === 0, path: '/docs/many/', comment: `Comment ${i}` });

  // Strict order: another event between two steps, and others at a step's instant.
  const S = E + 6 * DAY;
  ev('signed_up', 'strict-1', S);
  ev('$pageview', 'strict-1', S + 1000, { $pathname: '/docs/introduction/' });
  ev('api_key_created', 'strict-1', S + 2000);
  ev('signed_up', 'strict-2', S);
  ev('$pageview', 'strict-2', S, { $pathname: '/docs/introduction/' });
  ev('api_key_created', 'strict-2', S + 2000);
  ev('signed_up', 'strict-3', S);
  ev('api_key_created', 'strict-3', S + 2000);
  ev('$pageview', 'strict-3', S + 2000, { $pathname: '/docs/introduction/' });
  return out;
}

const R30 = { from: ms(NOW - 30 * DAY), to: ms(NOW) };
const R7 = { from: ms(NOW - 7 * DAY), to: ms(NOW) };
const ALL = { from: ms(NOW - 60 * DAY), to: ms(NOW) };
const EDGE = { from: ms(EDGE_FROM), to: ms(EDGE_TO) };
const EMPTY = { from: '2020-01-01T00:00:00Z', to: '2020-01-31T00:00:00Z' };
const RANGES = { R30, R7, ALL, EDGE, EMPTY };

const FUNNELS: Array<Record<string, string>> = [
  { ...R30 },
  { ...R30, order: 'strict' },
  { ...R30, order: 'any' },
  { ...R7 },
  { ...R7, minConversion: '0.95' },
  { ...ALL, window: '1mo' },
  { ...EMPTY },
  { ...EDGE, window: '1h' },
  { ...EDGE, window: '1h', order: 'strict' },
  { ...EDGE, window: '1h', order: 'any' },
  { ...EDGE, window: '30m', breakdown: 'plan' },
  { ...EDGE, breakdown: 'plan', order: 'any' },
  { ...EDGE, breakdown: 'plan', order: 'strict', minConversion: '0.99' },
  { ...R30, breakdown: 'source' },
  { ...R30, breakdown: 'language', order: 'strict' },
  { ...R30, breakdown: 'no_such_property' },
  { ...R30, steps: '$pageview,signed_up,api_key_created,first_successful_call', window: '1d' },
  { ...R30, steps: '$pageview,signed_up,api_key_created,first_successful_call', window: '1d', order: 'strict' },
  { ...R30, steps: '$pageview,$pageview,signed_up', window: '12h', order: 'any' },
  { ...R30, steps: 'signed_up,api_call,first_successful_call', breakdown: 'source' },
  { ...R30, steps: 'signed_up,api_call,first_successful_call', order: 'strict' },
  { ...ALL, steps: 'first_successful_call,api_call', window: '2w', breakdown: 'endpoint' },
  { ...EDGE, steps: 'first_successful_call,api_call', window: '1d', breakdown: 'endpoint', order: 'any' },
  { ...R30, steps: 'api_key_created,first_successful_call,doc_feedback', window: '1w', order: 'any', breakdown: '$lib' },
  { ...R30, steps: 'never_happens,signed_up' },
];

const TTFSIS: Array<Record<string, string>> = [
  { ...R30 },
  { ...R7 },
  { ...ALL },
  { ...EDGE },
  { ...EMPTY },
  { ...R30, start: 'api_key_created' },
  { ...ALL, start: '$pageview', end: 'signed_up' },
  { ...R30, start: 'first_successful_call', end: 'api_call' },
  { ...EDGE, start: 'signed_up', end: 'api_key_created' },
  { ...R30, start: 'never_happens' },
];

const { app, db } = testApp();

beforeAll(async () => {
  const pg = pgDbOf(db);
  const target = pg ? postgresIngestDatabase(pg) : sqliteIngestDatabase(db.$client);
  await seedDemoIfEmpty(target, { now: NOW, weeks: 8, developers: 2000, seed: 7 });
  await ingest(db, edgeCases());
}, 120_000);

/** A report's response, checked to be a 200. */
async function report(path: string, query: Record<string, string>): Promise<unknown> {
  const { status, body } = await getReport(app, path, query);
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

describe('every report gives the same JSON on both dialects', () => {
  it('holds a dataset rich enough to compare', async () => {
    const funnel = (await report('funnel', { ...R7 })) as { flags: Array<{ evidence: { topErrors: unknown[]; lastPages: unknown[] } }> };
    expect(funnel.flags.length).toBeGreaterThan(0);
    expect(funnel.flags.some((f) => f.evidence.topErrors.length > 0 && f.evidence.lastPages.length > 0)).toBe(true);
    const breakdown = (await report('funnel', { ...EDGE, breakdown: 'plan' })) as { breakdown: Array<{ value: string | null }> };
    expect(breakdown.breakdown.map((b) => b.value)).toEqual(expect.arrayContaining([null, 'Other', '5', 'true', '1.5', '{"tier":1}', 'null', 'second']));
  });

  it.each(FUNNELS.map((q) => [JSON.stringify(q), q] as const))('funnel %s', async (_name, query) => {
    expect(await report('funnel', query)).toMatchSnapshot();
  });

  it.each(TTFSIS.map((q) => [JSON.stringify(q), q] as const))('ttfsi %s', async (_name, query) => {
    expect(await report('ttfsi', query)).toMatchSnapshot();
  });

  it.each(Object.entries(RANGES))('docs %s', async (_name, query) => {
    expect(await report('docs', query)).toMatchSnapshot();
  });

  it.each(Object.entries(RANGES))('api-health %s', async (_name, query) => {
    expect(await report('api-health', query)).toMatchSnapshot();
  });
});
