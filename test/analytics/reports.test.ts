/**
 * Hand-computed fixtures for flags and evidence, TTFSI, doc satisfaction and API health, through the real routes.
 */
import { describe, expect, it } from 'vitest';
import { apiHealthResponseSchema, docsResponseSchema, funnelResponseSchema, ttfsiResponseSchema } from '../../api/analytics/schemas.ts';
import { twoProportionZTest } from '../../api/analytics/stats.ts';
import { testApp } from '../support/app.ts';
import { call, DAY, type Ev, getReport, HOUR, ingest, iso, T0 } from './support.ts';

const FROM = T0;
const TO = T0 + 28 * DAY;
const range = { from: iso(FROM), to: iso(TO) };

/** `n` persons who sign up at `at`, the first `converted` of them creating a key one hour later. */
function cohort(prefix: string, at: number, n: number, converted: number): Ev[] {
  const out: Ev[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ event: 'signed_up', who: `${prefix}${i}`, at: at + i * 1000 });
    if (i < converted) out.push({ event: 'api_key_created', who: `${prefix}${i}`, at: at + i * 1000 + HOUR });
  }
  return out;
}

describe('funnel flags', () => {
  const query = { ...range, steps: 'signed_up,api_key_created', window: '1d' };

  it('flags a significant drop against the previous period, with evidence from the persons who stalled', async () => {
    const { app, db } = testApp();
    const events = [...cohort('prev-', FROM - 20 * DAY, 100, 60), ...cohort('cur-', FROM + DAY, 100, 45)];
    // Stalled persons (cur-45..cur-99) hit errors and read docs; converted ones hit an error that must not count.
    for (let i = 45; i < 55; i++) events.push(call(`cur-${i}`, FROM + 2 * DAY, 401, { error_code: 'invalid_api_key' }));
    for (let i = 55; i < 58; i++) events.push(call(`cur-${i}`, FROM + 2 * DAY, 500));
    events.push(call('cur-0', FROM + 2 * DAY, 400, { error_code: 'parameter_invalid' }));
    for (let i = 45; i < 70; i++) {
      events.push({ event: '$pageview', who: `cur-${i}`, at: FROM + 2 * DAY, props: { $pathname: '/docs/errors/' } });
      events.push({ event: '$pageview', who: `cur-${i}`, at: FROM + 3 * DAY, props: { $pathname: i < 65 ? '/docs/authentication/' : '/docs/first-call/' } });
    }
    events.push({ event: 'doc_feedback', who: 'cur-45', at: FROM + 3 * DAY, props: { helpful: true, path: '/docs/authentication/' } });
    events.push({ event: 'doc_feedback', who: 'cur-46', at: FROM + 3 * DAY, props: { helpful: true, path: '/docs/authentication/' } });
    events.push({ event: 'doc_feedback', who: 'cur-47', at: FROM + 3 * DAY, props: { helpful: true, path: '/docs/authentication/' } });
    events.push({ event: 'doc_feedback', who: 'cur-48', at: FROM + 3 * DAY, props: { helpful: true, path: '/docs/authentication/' } });
    // cur-48 changed their mind: only the latest vote counts.
    events.push({ event: 'doc_feedback', who: 'cur-48', at: FROM + 4 * DAY, props: { helpful: false, path: '/docs/authentication/' } });
    await ingest(db, events);

    const res = await getReport(app, 'funnel', query);
    const body = funnelResponseSchema.parse(res.body);
    expect(body.steps.map((s) => s.count)).toEqual([100, 45]);
    const drop = body.flags.find((f) => f.kind === 'significant_drop')!;
    const expected = twoProportionZTest(60, 100, 45, 100)!;
    expect(drop).toMatchObject({ step: 1, event: 'api_key_created', severity: 'medium' });
    expect(drop.evidence.previousRate).toBe(0.6);
    expect(drop.evidence.currentRate).toBe(0.45);
    expect(drop.evidence.p).toBeCloseTo(expected.p, 12);
    expect(drop.evidence.p).toBeCloseTo(0.0337, 4);
    expect(drop.evidence.topErrors).toEqual([
      { code: 'invalid_api_key', count: 10, persons: 10 },
      { code: '500', count: 3, persons: 3 },
    ]);
    expect(drop.evidence.lastPages).toEqual([
      { path: '/docs/authentication/', count: 20, helpfulRate: 0.75 },
      { path: '/docs/first-call/', count: 5, helpfulRate: null },
    ]);
    expect(drop.message).toContain('60.0%');
    expect(body.flags.map((f) => f.kind)).toEqual(['significant_drop', 'slowest_step']);
  });

  it('does not flag a change that is not significant, and needs n ≥ 30 on both sides', async () => {
    const { app, db } = testApp();
    await ingest(db, [...cohort('prev-', FROM - 20 * DAY, 100, 60), ...cohort('cur-', FROM + DAY, 100, 55)]);
    const res = await getReport(app, 'funnel', query);
    const body = funnelResponseSchema.parse(res.body);
    expect(body.flags.map((f) => f.kind)).toEqual(['slowest_step']);
    expect(body.flags[0]!.evidence.p).toBeCloseTo(twoProportionZTest(60, 100, 55, 100)!.p, 12);

    const small = testApp();
    await ingest(small.db, [...cohort('prev-', FROM - 20 * DAY, 29, 29), ...cohort('cur-', FROM + DAY, 100, 10)]);
    const smallBody = funnelResponseSchema.parse((await getReport(small.app, 'funnel', query)).body);
    expect(smallBody.flags.map((f) => f.kind)).toEqual(['low_conversion', 'slowest_step']);
    expect(smallBody.flags[0]).toMatchObject({ severity: 'high', evidence: { p: null, previousRate: 1, currentRate: 0.1 } });
  });

  it('low_conversion follows the minConversion parameter', async () => {
    const { app, db } = testApp();
    await ingest(db, cohort('cur-', FROM + DAY, 10, 4));
    const at = async (minConversion: string) =>
      funnelResponseSchema.parse((await getReport(app, 'funnel', { ...query, minConversion })).body).flags.filter((f) => f.kind === 'low_conversion');
    expect(await at('0.5')).toHaveLength(1);
    expect(await at('0.4')).toHaveLength(0);
  });
});

describe('ttfsi', () => {
  it('reports completed and censored persons, interpolated percentiles, Kaplan–Meier, histogram and weekly cohorts', async () => {
    const { app, db } = testApp();
    const start = FROM + 2 * DAY;
    await ingest(db, [
      { event: 'signed_up', who: 'a', at: start },
      call('a', start + 100_000, 200),
      { event: 'signed_up', who: 'b', at: start },
      call('b', start + 10_000, 401, { error_code: 'invalid_api_key' }),
      call('b', start + 300_000, 201),
      { event: 'signed_up', who: 'c', at: start },
      // d succeeded before signing up: the first success is before the start, so never completed.
      call('d', start - 1000, 200),
      { event: 'signed_up', who: 'd', at: start },
      call('d', start + 50_000, 200),
      // e signed up before the range: not started.
      { event: 'signed_up', who: 'e', at: FROM - DAY },
      call('e', start, 200),
    ]);
    const res = await getReport(app, 'ttfsi', range);
    const body = ttfsiResponseSchema.parse(res.body);
    expect(body.completed).toBe(2);
    expect(body.inProgress).toBe(2);
    expect(body.percentiles).toEqual({ p50: 200, p75: 250, p90: 280, p95: 290 });
    expect(body.kaplanMeier.median).toBe(300);
    expect(body.kaplanMeier.points.map((p) => [p.seconds, Number(p.survival.toFixed(12))])).toEqual([
      [0, 1],
      [100, 0.75],
      [300, 0.5],
    ]);
    // Completions at 100 s and 300 s: one in the 1–5 min bin, one in the 5–15 min bin.
    expect(body.histogram).toEqual([
      { fromSeconds: 60, toSeconds: 300, count: 1 },
      { fromSeconds: 300, toSeconds: 900, count: 1 },
    ]);
    expect(body.cohorts).toEqual([{ week: '2026-03-02', started: 4, completed: 2, p50: 200 }]);
  });

  it('takes any start and end events, with the end at or after the start and inside the range', async () => {
    const { app, db } = testApp();
    await ingest(db, [
      { event: 'quickstart_started', who: 'a', at: FROM + DAY },
      { event: 'code_copied', who: 'a', at: FROM + DAY - 1 },
      { event: 'code_copied', who: 'a', at: FROM + DAY + 60_000 },
      { event: 'quickstart_started', who: 'b', at: TO - 1000 },
      { event: 'code_copied', who: 'b', at: TO + 1 },
    ]);
    const body = ttfsiResponseSchema.parse((await getReport(app, 'ttfsi', { ...range, start: 'quickstart_started', end: 'code_copied' })).body);
    expect(body.completed).toBe(1);
    expect(body.inProgress).toBe(1);
    expect(body.percentiles.p50).toBe(60);
  });

  it('is empty, not NaN, without data', async () => {
    const { app } = testApp();
    const body = ttfsiResponseSchema.parse((await getReport(app, 'ttfsi', range)).body);
    expect(body).toEqual({
      completed: 0,
      inProgress: 0,
      percentiles: { p50: null, p75: null, p90: null, p95: null },
      kaplanMeier: { median: null, points: [{ seconds: 0, survival: 1 }] },
      histogram: [],
      cohorts: [],
      previous: { from: iso(FROM - (TO - FROM)), to: iso(FROM - 1), completed: 0, inProgress: 0, median: null, completionP: null },
    });
  });
});

describe('docs', () => {
  it('counts views, latest votes, reasons, comments and reader vs non-reader conversion per page, worst first', async () => {
    const { app, db } = testApp();
    const at = FROM + DAY;
    const view = (who: string, path: string, t: number): Ev => ({
      event: '$pageview',
      who,
      at: t,
      props: { $pathname: path, $current_url: `http://x${path}` },
    });
    const vote = (who: string, path: string, t: number, helpful: boolean, extra: Record<string, unknown> = {}): Ev => ({
      event: 'doc_feedback',
      who,
      at: t,
      props: { helpful, path, ...extra },
    });
    await ingest(db, [
      view('p1', '/docs/a/', at),
      view('p1', '/docs/a/', at + 1000),
      view('p2', '/docs/a/', at),
      view('p4', '/docs/b/', at),
      vote('p1', '/docs/a/', at + 2000, true),
      vote('p1', '/docs/a/', at + 3000, false, { reason: "code didn't work", comment: 'the curl example 401s' }),
      vote('p2', '/docs/a/', at + 2000, true),
      vote('p3', '/docs/a/', at + 4000, false, { reason: 'missing info', comment: '<script>alert(1)</script>' }),
      call('p1', at + HOUR, 200),
      call('p4', at + HOUR, 200),
    ]);
    const body = docsResponseSchema.parse((await getReport(app, 'docs', range)).body);
    expect(body.pages.map((p) => p.path)).toEqual(['/docs/a/', '/docs/b/']);
    const [a, b] = body.pages as [any, any];
    expect(a).toMatchObject({ views: 3, readers: 2, helpful: 1, notHelpful: 2, helpfulRate: 1 / 3, readerConversion: 0.5, nonReaderConversion: 1 });
    expect(a.reasons).toEqual({ "code didn't work": 1, 'missing info': 1 });
    expect(a.comments).toEqual([
      { text: '<script>alert(1)</script>', timestamp: iso(at + 4000), helpful: false },
      { text: 'the curl example 401s', timestamp: iso(at + 3000), helpful: false },
    ]);
    expect(a.wilsonLower).toBeGreaterThan(0);
    expect(a.wilsonLower).toBeLessThan(1 / 3);
    expect(b).toMatchObject({
      views: 1,
      readers: 1,
      helpful: 0,
      notHelpful: 0,
      helpfulRate: null,
      wilsonLower: null,
      readerConversion: 1,
      nonReaderConversion: 0.5,
    });
    expect(b.flagged).toBe(false);
  });

  it('flags low satisfaction once a page has enough votes', async () => {
    const { app, db } = testApp();
    const events: Ev[] = [];
    for (let i = 0; i < 5; i++) events.push({ event: 'doc_feedback', who: `v${i}`, at: FROM + DAY, props: { helpful: i === 0, path: '/docs/bad/' } });
    for (let i = 0; i < 4; i++) events.push({ event: 'doc_feedback', who: `w${i}`, at: FROM + DAY, props: { helpful: false, path: '/docs/few/' } });
    await ingest(db, events);
    const pages = docsResponseSchema.parse((await getReport(app, 'docs', range)).body).pages;
    expect(Object.fromEntries(pages.map((p) => [p.path, p.flagged]))).toEqual({ '/docs/bad/': true, '/docs/few/': false });
  });
});

describe('docs: reader conversion flag', () => {
  it('flags a high-traffic page whose readers convert significantly less than non-readers', async () => {
    const { app, db } = testApp();
    const events: Ev[] = [];
    for (let i = 0; i < 25; i++) {
      events.push({ event: '$pageview', who: `x${i}`, at: FROM + DAY, props: { $pathname: '/docs/x/' } });
      events.push({ event: '$pageview', who: `y${i}`, at: FROM + DAY, props: { $pathname: '/docs/y/' } });
      events.push(call(`y${i}`, FROM + 2 * DAY, 200));
    }
    await ingest(db, events);
    const pages = docsResponseSchema.parse((await getReport(app, 'docs', range)).body).pages;
    const byPath = Object.fromEntries(pages.map((p) => [p.path, p]));
    expect(byPath['/docs/x/']).toMatchObject({ readers: 25, readerConversion: 0, nonReaderConversion: 1, flagged: true });
    expect(byPath['/docs/y/']).toMatchObject({ readers: 25, readerConversion: 1, nonReaderConversion: 0, flagged: false });
  });
});

describe('api-health', () => {
  it('computes error rate (≥ 500 and 4xx except 429), latency percentiles, top errors, first-call errors and tickets', async () => {
    const { app, db } = testApp();
    const at = FROM + DAY;
    const A = '/sandbox/v1/messages';
    const B = '/sandbox/v1/messages/:id';
    await ingest(db, [
      call('x', at + 1, 401, { endpoint: A, duration_ms: 50, error_code: 'invalid_api_key' }),
      call('x', at + 2, 200, { endpoint: A, duration_ms: 10 }),
      call('x', at + 3, 500, { endpoint: A, duration_ms: 30 }),
      call('x', at + 4, 200, { endpoint: B, duration_ms: 100 }),
      call('y', at + 1, 201, { endpoint: A, duration_ms: 20 }),
      call('y', at + 2, 429, { endpoint: A, duration_ms: 40, error_code: 'rate_limit_exceeded' }),
      call('z', FROM - DAY, 500, { endpoint: A, duration_ms: 1 }),
      { event: 'support_ticket_created', who: 'x', at, props: { topic: 'auth', path: '/docs/authentication/' } },
      { event: 'support_ticket_created', who: 'y', at, props: { topic: 'auth', path: '/docs/authentication/' } },
      { event: 'support_ticket_created', who: 'y', at, props: { topic: 'other', path: '/docs/' } },
    ]);
    const body = apiHealthResponseSchema.parse((await getReport(app, 'api-health', range)).body);
    // Counts and rates exact; percentiles from the rollups' sketches, within 1% of the exact interpolated ones.
    const within1 = (actual: number | null, exact: number) => expect(Math.abs(actual! - exact) / exact).toBeLessThanOrEqual(0.01);
    expect(body.overall).toMatchObject({ calls: 6, errorRate: 2 / 6, availability: 5 / 6, nines: 0.8, slo: { target: 0.999 } });
    within1(body.overall.p50Ms, 35);
    within1(body.overall.p95Ms, 87.5);
    within1(body.overall.p99Ms, 97.5);
    // One 5xx in 6 calls against a 0.1% budget: 1 − (1/6) / 0.001.
    expect(body.overall.slo.errorBudgetRemaining).toBeCloseTo(1 - 1 / 6 / 0.001, 9);
    expect(body.endpoints[0]).toMatchObject({
      endpoint: A,
      calls: 5,
      errorRate: 2 / 5,
      topErrors: [
        { code: '500', count: 1 },
        { code: 'invalid_api_key', count: 1 },
        { code: 'rate_limit_exceeded', count: 1 },
      ],
    });
    within1(body.endpoints[0]!.p50Ms, 30);
    within1(body.endpoints[0]!.p95Ms, 48);
    within1(body.endpoints[0]!.p99Ms, 49.6);
    expect(body.endpoints[1]).toMatchObject({ endpoint: B, calls: 1, errorRate: 0, availability: 1, nines: 6, topErrors: [] });
    within1(body.endpoints[1]!.p50Ms, 100);
    expect(body.firstCallErrors).toEqual([{ code: 'invalid_api_key', count: 1 }]);
    expect(body.supportTicketsPer1kCalls).toBe(500);
  });

  it('returns nulls, not NaN, without calls', async () => {
    const { app } = testApp();
    const body = apiHealthResponseSchema.parse((await getReport(app, 'api-health', range)).body);
    expect(body).toEqual({
      overall: {
        calls: 0,
        errorRate: null,
        p50Ms: null,
        p95Ms: null,
        p99Ms: null,
        availability: null,
        nines: null,
        slo: { target: 0.999, errorBudgetRemaining: null },
      },
      endpoints: [],
      firstCallErrors: [],
      supportTicketsPer1kCalls: null,
    });
  });
});
