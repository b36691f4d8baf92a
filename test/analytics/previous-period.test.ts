/**
 * The fields the report pages' headline cards and doc-writer views read: each report's previous period, doc page
 * titles, comment votes, the docs summary and a page's trend, distinct persons per flagged error, and the person's
 * email in the events listing. Hand-computed fixtures through the real routes, on both dialects.
 */
import { describe, expect, it } from 'vitest';
import { docsResponseSchema, docTrendResponseSchema, funnelResponseSchema, ttfsiResponseSchema } from '../../api/analytics/schemas.ts';
import { twoProportionZTest } from '../../api/analytics/stats.ts';
import { adminHeaders, testApp } from '../support/app.ts';

import { call, DAY, type Ev, getReport, HOUR, ingest, iso, T0 } from './support.ts';

const FROM = T0;
const TO = T0 + 28 * DAY - 1;
const range = { from: iso(FROM), to: iso(TO) };
const PREVIOUS = { from: iso(FROM - 28 * DAY + 1), to: iso(FROM - 1) };

/** `n` persons who sign up at `at`, the first `converted` of them calling the API successfully two hours later. */
function cohort(prefix: string, at: number, n: number, converted: number): Ev[] {
  const out: Ev[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ event: 'signed_up', who: `${prefix}${i}`, at: at + i * 1000 });
    out.push({ event: 'api_key_created', who: `${prefix}${i}`, at: at + i * 1000 + HOUR });
    if (i < converted) out.push(call(`${prefix}${i}`, at + i * 1000 + 2 * HOUR, 200));
  }
  return out;
}

describe('previous period on the headline reports', () => {
  it('funnel: the previous period is the same funnel over the same length before `from`, with the overall test', async () => {
    const { app, db } = testApp();
    await ingest(db, [...cohort('prev-', FROM - 20 * DAY, 80, 60), ...cohort('cur-', FROM + DAY, 100, 50)]);
    const body = funnelResponseSchema.parse((await getReport(app, 'funnel', range)).body);
    expect(body.steps.map((s) => s.count)).toEqual([100, 100, 50]);
    expect(body.previous.from).toBe(PREVIOUS.from);
    expect(body.previous.to).toBe(PREVIOUS.to);
    expect(body.previous.steps.map((s) => s.count)).toEqual([80, 80, 60]);
    const direct = funnelResponseSchema.parse((await getReport(app, 'funnel', PREVIOUS)).body);
    expect(body.previous.steps).toEqual(direct.steps);
    expect(body.previous.overallConversionP).toBeCloseTo(twoProportionZTest(60, 80, 50, 100)!.p, 12);
  });

  it('funnel: no test under 30 persons in either period', async () => {
    const { app, db } = testApp();
    await ingest(db, [...cohort('prev-', FROM - 20 * DAY, 10, 9), ...cohort('cur-', FROM + DAY, 100, 50)]);
    const body = funnelResponseSchema.parse((await getReport(app, 'funnel', range)).body);
    expect(body.previous.steps[0]!.count).toBe(10);
    expect(body.previous.overallConversionP).toBeNull();
  });

  it('TTFSI: completed, still trying and the median of the previous period, and the completion test', async () => {
    const { app, db } = testApp();
    await ingest(db, [...cohort('prev-', FROM - 20 * DAY, 40, 30), ...cohort('cur-', FROM + DAY, 50, 20)]);
    const body = ttfsiResponseSchema.parse((await getReport(app, 'ttfsi', range)).body);
    expect([body.completed, body.inProgress]).toEqual([20, 30]);
    expect(body.previous).toMatchObject({ ...PREVIOUS, completed: 30, inProgress: 10 });
    const direct = ttfsiResponseSchema.parse((await getReport(app, 'ttfsi', PREVIOUS)).body);
    expect(body.previous.median).toBe(direct.kaplanMeier.median);
    expect(body.previous.median).toBeCloseTo(2 * 3600, 0);
    expect(body.previous.completionP).toBeCloseTo(twoProportionZTest(30, 40, 20, 50)!.p, 12);
  });
});

describe('doc satisfaction for doc writers', () => {
  const auth = '/docs/authentication/';
  function fixture(): Ev[] {
    const events: Ev[] = [];
    // Previous period: 40 helpful of 40 on a docs page; a vote on /signup/ is not documentation.
    for (let i = 0; i < 40; i++) events.push({ event: 'doc_feedback', who: `old-${i}`, at: FROM - 5 * DAY, props: { helpful: true, path: auth } });
    events.push({ event: 'doc_feedback', who: 'old-x', at: FROM - 5 * DAY, props: { helpful: false, path: '/signup/' } });
    for (let i = 0; i < 40; i++) {
      const who = `r-${i}`;
      events.push({ event: '$pageview', who, at: FROM + DAY + i, props: { $pathname: auth, title: 'Old title | Onramp' } });
      events.push({ event: '$pageview', who, at: FROM + 3 * DAY + i, props: { $pathname: auth, title: 'Authentication | Onramp' } });
      events.push({ event: 'doc_feedback', who, at: FROM + 3 * DAY + i, props: { helpful: i < 10, path: auth } });
    }
    events.push({ event: '$pageview', who: 'r-0', at: FROM + 4 * DAY, props: { $pathname: '/quickstarts/node/' } });
    events.push({ event: '$pageview', who: 'r-0', at: FROM + 4 * DAY, props: { $pathname: '/dashboard/', title: 'Dashboard' } });
    events.push({ event: 'doc_feedback', who: 'r-1', at: FROM + 4 * DAY, props: { helpful: false, path: auth, reason: 'code_didnt_work', comment: 'Broken' } });
    events.push({ event: 'doc_feedback', who: 'r-2', at: FROM + 5 * DAY, props: { path: auth, comment: 'No vote on this one' } });
    return events;
  }

  it('gives each page its latest title, each comment its vote, and totals over docs pages for both periods', async () => {
    const { app, db } = testApp();
    await ingest(db, fixture());
    const body = docsResponseSchema.parse((await getReport(app, 'docs', range)).body);
    const page = body.pages.find((p) => p.path === auth)!;
    expect(page.title).toBe('Authentication | Onramp');
    expect(body.pages.find((p) => p.path === '/quickstarts/node/')!.title).toBeNull();
    expect(page.comments).toEqual([
      { text: 'No vote on this one', timestamp: iso(FROM + 5 * DAY), helpful: null },
      { text: 'Broken', timestamp: iso(FROM + 4 * DAY), helpful: false },
    ]);
    // r-1 changed a helpful vote to not helpful: 9 of 40.
    expect(body.summary).toEqual({ views: 81, readers: 40, helpful: 9, notHelpful: 31, helpfulRate: 9 / 40 });
    expect(body.previous).toMatchObject({ ...PREVIOUS, views: 0, readers: 0, helpful: 40, notHelpful: 0, helpfulRate: 1 });
    expect(body.previous.helpfulRateP).toBeCloseTo(twoProportionZTest(40, 40, 9, 40)!.p, 12);
  });

  it('gives a page’s views and votes per day, with empty days as zeros', async () => {
    const { app, db } = testApp();
    await ingest(db, fixture());
    const res = await getReport(app, 'docs/trend', { ...range, path: auth });
    expect(res.status).toBe(200);
    const trend = docTrendResponseSchema.parse(res.body);
    expect(trend.bucket).toBe('day');
    expect(trend.points).toHaveLength(28);
    expect(trend.points[0]!.period).toBe(iso(FROM).slice(0, 10));
    expect(trend.points.reduce((n, p) => n + p.views, 0)).toBe(80);
    expect(trend.points[1]).toEqual({ period: iso(FROM + DAY).slice(0, 10), views: 40, helpful: 0, notHelpful: 0, helpfulRate: null });
    expect(trend.points[3]).toEqual({ period: iso(FROM + 3 * DAY).slice(0, 10), views: 40, helpful: 9, notHelpful: 30, helpfulRate: 9 / 39 });
    expect(trend.points[4]).toMatchObject({ helpful: 0, notHelpful: 1 });
    const weekly = docTrendResponseSchema.parse((await getReport(app, 'docs/trend', { from: iso(FROM - 60 * DAY), to: range.to, path: auth })).body);
    expect(weekly.bucket).toBe('week');
    expect(weekly.points.reduce((n, p) => n + p.helpful + p.notHelpful, 0)).toBe(80);
  });

  it('refuses a trend without a page path, naming the parameter', async () => {
    const { app } = testApp();
    const res = await getReport(app, 'docs/trend', range);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('path');
  });
});

describe('who is behind the numbers', () => {
  it('counts distinct persons per error code in a flag’s evidence', async () => {
    const { app, db } = testApp();
    const events = [...cohort('prev-', FROM - 20 * DAY, 100, 80), ...cohort('cur-', FROM + DAY, 100, 40)];
    for (let i = 40; i < 50; i++) for (let k = 0; k < 3; k++) events.push(call(`cur-${i}`, FROM + 2 * DAY + k, 401, { error_code: 'invalid_api_key' }));
    await ingest(db, events);
    const body = funnelResponseSchema.parse((await getReport(app, 'funnel', range)).body);
    const drop = body.flags.find((f) => f.kind === 'significant_drop')!;
    expect(drop.evidence.topErrors).toEqual([{ code: 'invalid_api_key', count: 30, persons: 10 }]);
  });

  it('lists the person’s email next to each event when an $identify set one', async () => {
    const { app, db } = testApp();
    await ingest(db, [
      { event: '$identify', who: 'dev-1', at: FROM, props: { $anon_distinct_id: 'anon-1', $set: { email: 'dev1@example.com' } } },
      { event: '$pageview', who: 'anon-1', at: FROM - HOUR, props: { $pathname: '/' } },
      { event: '$pageview', who: 'stranger', at: FROM + HOUR, props: { $pathname: '/' } },
    ]);
    const res = await app.request('/api/v1/events?limit=10', { headers: adminHeaders });
    const { events } = (await res.json()) as { events: Array<{ distinctId: string; personEmail: string | null }> };
    expect(Object.fromEntries(events.map((e) => [e.distinctId, e.personEmail]))).toEqual({
      stranger: null,
      'dev-1': 'dev1@example.com',
      'anon-1': 'dev1@example.com',
    });
  });
});
