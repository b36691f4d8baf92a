/**
 * Same numbers on both backends: one dataset (the demo history plus hand-made edge cases) is ingested into SQLite
 * through the real store, its persons, distinct ids and events are copied into PostgreSQL with their ids, and every
 * report is compared whole, with several parameter sets: the SQLite route's JSON against the PostgreSQL entry's
 * response, and the raw rows under them. Equality is exact (toEqual), never approximate.
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnrampDb } from '../../db/client.ts';
import { openPgDb, type OnrampPgDb } from '../../db/client-pg.ts';
import { loadApiHealthData } from '../../api/analytics/api-health-query.ts';
import { loadDocsData } from '../../api/analytics/docs-query.ts';
import { previousPeriod } from '../../api/analytics/funnel-report.ts';
import { runFunnelPeriods } from '../../api/analytics/funnel-query.ts';
import { parseFunnelParams, parseRangeParams, parseTtfsiParams } from '../../api/analytics/params.ts';
import { streamTtfsi, type TtfsiRow } from '../../api/analytics/ttfsi-query.ts';
import { loadApiHealthDataPg } from '../../api/analytics/pg/api-health-query.ts';
import { loadDocsDataPg } from '../../api/analytics/pg/docs-query.ts';
import { runFunnelPeriodsPg } from '../../api/analytics/pg/funnel-query.ts';
import { pgRows, streamPgRows } from '../../api/analytics/pg/query.ts';
import { apiHealthReportPg, docsReportPg, funnelReportPg, ttfsiReportPg } from '../../api/analytics/pg/reports.ts';
import { streamTtfsiPg } from '../../api/analytics/pg/ttfsi-query.ts';
import { generateDemoEvents } from '../../api/demo/seed.ts';
import { createEventStore } from '../../api/ingest/store.ts';
import { sqliteStorage } from '../../api/storage/sqlite.ts';
import { reportsRoutes } from '../../api/routes/reports.ts';
import { call, DAY, HOUR, ingest, type Ev } from '../analytics/support.ts';
import { testDb } from '../support/app.ts';
import { copyToPostgres } from '../support/copy-to-postgres.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';

const NOW = Date.UTC(2026, 2, 31, 12, 0, 0);
/** The hand-made cases live in [EDGE_FROM, EDGE_TO], inside the demo history, so every report mixes both. */
const EDGE_FROM = NOW - 20 * DAY;
const EDGE_TO = NOW - 10 * DAY;
const ms = (n: number) => String(n);

let postgres: TestPostgres;
let pgDb: OnrampPgDb;
let sqliteDb: OnrampDb;
let routes: ReturnType<typeof reportsRoutes>;

beforeAll(async () => {
  postgres = await startPostgres();
  pgDb = await openPgDb(await createLinguisticDatabase(postgres));
  sqliteDb = testDb();
  const { events } = generateDemoEvents({ now: NOW, weeks: 8, developers: 2000, seed: 7 });
  createEventStore(sqliteDb.$client).writeBatches([events]);
  ingest(sqliteDb, edgeCases());
  await copyToPostgres(sqliteDb.$client, pgDb);
  routes = reportsRoutes({ reports: sqliteStorage(sqliteDb).reports, now: () => NOW });
});

afterAll(async () => {
  await pgDb?.close();
  sqliteDb?.$client.close();
  if (postgres) await adminQuery(postgres, `DROP DATABASE IF EXISTS ${PG_DATABASE} WITH (FORCE)`);
  await postgres?.stop();
});

const PG_DATABASE = 'onramp_reports_icu';

async function adminQuery(server: TestPostgres, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * A database whose text collation is a linguistic one (ICU en-US), as production databases often have, unlike the
 * test cluster's C locale: text ordering in the reports must not depend on it. Falls back to the server's default
 * collation when the server has no ICU.
 */
async function createLinguisticDatabase(server: TestPostgres): Promise<string> {
  try {
    await adminQuery(server, `CREATE DATABASE ${PG_DATABASE} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`);
  } catch (error) {
    console.warn(`no ICU collation on this server (${(error as Error).message}); comparing on its default collation`);
    return server.createDatabase();
  }
  const url = new URL(server.url);
  url.pathname = `/${PG_DATABASE}`;
  return url.toString();
}


/** Copies persons, distinct ids and events with their ids, so person grouping and tie-breaks by id are the same. */
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
  for (let i = 0; i < 55; i++) ev('doc_feedback', `commenter-${i}`, V + (i % 10) * 1000, { helpful: i % 2 === 0, path: '/docs/many/', comment: `Comment ${i}` });

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

/** The SQLite path's response, through the real route (JSON as a client gets it). */
async function sqliteReport(path: string, query: Record<string, string>): Promise<unknown> {
  const res = await routes.request(`/${path}?${new URLSearchParams(query).toString()}`);
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** A PostgreSQL response as it would go over the wire. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

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

describe('reports on PostgreSQL give the same numbers as on SQLite', () => {
  it('holds a dataset rich enough to compare', async () => {
    const counts = sqliteDb.$client.prepare('SELECT COUNT(*) AS events, COUNT(DISTINCT person_id) AS persons FROM events').get() as { events: number; persons: number };
    expect(counts.events).toBeGreaterThan(30_000);
    const funnel = (await sqliteReport('funnel', { ...R7 })) as { flags: Array<{ evidence: { topErrors: unknown[]; lastPages: unknown[] } }> };
    expect(funnel.flags.length).toBeGreaterThan(0);
    expect(funnel.flags.some((f) => f.evidence.topErrors.length > 0 && f.evidence.lastPages.length > 0)).toBe(true);
    const breakdown = (await sqliteReport('funnel', { ...EDGE, breakdown: 'plan' })) as { breakdown: Array<{ value: string | null }> };
    expect(breakdown.breakdown.map((b) => b.value)).toEqual(expect.arrayContaining([null, 'Other', '5', '1', '1.5', '{"tier":1}', 'null', 'first']));
  });

  it.each(FUNNELS.map((q) => [JSON.stringify(q), q] as const))('funnel %s', async (_name, query) => {
    const params = parseFunnelParams(query, NOW);
    expect(wire(await funnelReportPg(pgDb, params))).toEqual(await sqliteReport('funnel', query));
    // The runs under the report too (tallies with every gap, breakdown tallies, stalled persons), both periods.
    const run = { steps: params.steps, windowMs: params.windowMs, order: params.order, from: params.from, to: params.to, breakdown: params.breakdown };
    const extra = [previousPeriod(params.from, params.to)];
    expect(await runFunnelPeriodsPg(pgDb, run, extra)).toEqual(runFunnelPeriods(sqliteDb.$client, run, extra));
  });

  it.each(TTFSIS.map((q) => [JSON.stringify(q), q] as const))('ttfsi %s', async (_name, query) => {
    const params = parseTtfsiParams(query, NOW);
    expect(wire(await ttfsiReportPg(pgDb, params))).toEqual(await sqliteReport('ttfsi', query));
    const sqliteRows: TtfsiRow[] = [];
    const postgresRows: TtfsiRow[] = [];
    streamTtfsi(sqliteDb.$client, params, (r) => sqliteRows.push(r));
    await streamTtfsiPg(pgDb, params, (r) => postgresRows.push(r));
    const byStart = (a: TtfsiRow, b: TtfsiRow) => a.start - b.start || (a.seconds ?? -1) - (b.seconds ?? -1);
    expect(postgresRows.sort(byStart)).toEqual(sqliteRows.sort(byStart));
  });

  it.each(Object.entries(RANGES))('docs %s', async (_name, query) => {
    const range = parseRangeParams(query, NOW);
    expect(wire(await docsReportPg(pgDb, range))).toEqual(await sqliteReport('docs', query));
    // Raw rows, in SQLite's order.
    expect(await loadDocsDataPg(pgDb, range)).toEqual(loadDocsData(sqliteDb.$client, range));
  });

  it.each(Object.entries(RANGES))('api-health %s', async (_name, query) => {
    const range = parseRangeParams(query, NOW);
    expect(wire(await apiHealthReportPg(pgDb, range))).toEqual(await sqliteReport('api-health', query));
    const key = (g: { endpoint: string | null; duration: number | null; code: string | null }) => JSON.stringify([g.endpoint, g.duration, g.code]);
    const sorted = (data: Awaited<ReturnType<typeof loadApiHealthDataPg>>) => ({ ...data, groups: [...data.groups].sort((a, b) => key(a).localeCompare(key(b))) });
    expect(sorted(await loadApiHealthDataPg(pgDb, range))).toEqual(sorted(loadApiHealthData(sqliteDb.$client, range)));
  });

  it('prints each report’s time on both backends (demo dataset, warm, median of 3)', async () => {
    const median = async (run: () => unknown) => {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        await run();
        times.push(performance.now() - start);
      }
      return times.sort((a, b) => a - b)[1]!;
    };
    const funnel = parseFunnelParams({ ...R30 }, NOW);
    const breakdown = parseFunnelParams({ ...R30, breakdown: 'source' }, NOW);
    const strict = parseFunnelParams({ ...R30, order: 'strict' }, NOW);
    const ttfsi = parseTtfsiParams({ ...R30 }, NOW);
    const range = parseRangeParams({ ...R30 }, NOW);
    const cases: Array<[string, () => unknown, () => Promise<unknown>]> = [
      ['funnel (30 d)', () => sqliteReport('funnel', { ...R30 }), () => funnelReportPg(pgDb, funnel)],
      ['funnel strict', () => sqliteReport('funnel', { ...R30, order: 'strict' }), () => funnelReportPg(pgDb, strict)],
      ['funnel breakdown', () => sqliteReport('funnel', { ...R30, breakdown: 'source' }), () => funnelReportPg(pgDb, breakdown)],
      ['ttfsi', () => sqliteReport('ttfsi', { ...R30 }), () => ttfsiReportPg(pgDb, ttfsi)],
      ['docs', () => sqliteReport('docs', { ...R30 }), () => docsReportPg(pgDb, range)],
      ['api-health', () => sqliteReport('api-health', { ...R30 }), () => apiHealthReportPg(pgDb, range)],
    ];
    const lines: string[] = [];
    for (const [name, onSqlite, onPg] of cases) {
      await onSqlite();
      await onPg();
      lines.push(`${name.padEnd(18)} sqlite ${(await median(onSqlite)).toFixed(1).padStart(7)} ms   postgres ${(await median(onPg)).toFixed(1).padStart(7)} ms`);
    }
    const { events } = sqliteDb.$client.prepare('SELECT COUNT(*) AS events FROM events').get() as { events: number };
    console.log(`report timings over ${events} events\n${lines.join('\n')}`);
  });
});

describe('streaming report rows from PostgreSQL', () => {
  it('rejects when the statement or the consumer fails mid-stream, and the pool keeps serving', async () => {
    await expect(streamPgRows(pgDb, sql`SELECT 10 / (6000 - g) AS x FROM generate_series(1, 7000) g`, () => {})).rejects.toThrow(/division by zero/);
    let seen = 0;
    const consumer = streamPgRows<{ g: number }>(pgDb, sql`SELECT g FROM generate_series(1, 20000) g`, () => {
      if (++seen === 7000) throw new Error('consumer failed');
    });
    await expect(consumer).rejects.toThrow('consumer failed');
    const rows: Array<{ g: number; big: number }> = [];
    await streamPgRows<{ g: number; big: number }>(pgDb, sql`SELECT g, g::bigint * 1000000000 AS big FROM generate_series(1, 12000) g`, (r) => rows.push(r));
    expect(rows).toHaveLength(12_000);
    expect(rows[11_999]).toEqual({ g: 12_000, big: 12_000_000_000_000 });
    expect(await pgRows(pgDb, sql`SELECT COUNT(*) AS n FROM generate_series(1, 3) g`)).toEqual([{ n: 3 }]);
  });
});
