/**
 * Hand-computed fixtures for the funnel's persons list, trend and time to convert, through the real routes on both
 * dialects, each checked against its response schema.
 */
import { describe, expect, it } from 'vitest';
import { funnelPersonsResponseSchema, funnelResponseSchema, funnelTrendResponseSchema, timeToConvertResponseSchema } from '../../api/analytics/schemas.ts';
import { testApp } from '../support/app.ts';
import { DAY, type Ev, getReport, HOUR, ingest, iso, T0 } from './support.ts';

const FROM = T0;
const TO = T0 + 28 * DAY;

async function appWith(events: Ev[]) {
  const { app, db } = testApp();
  await ingest(db, events);
  return async (path: string, query: Record<string, string>) => {
    const res = await getReport(app, path, { from: iso(FROM), to: iso(TO), ...query });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
}

describe('funnel persons', () => {
  const events: Ev[] = [
    { event: 'signed_up', who: 'done', at: FROM + DAY, props: { $set: { email: 'done@example.com' } } },
    { event: 'api_key_created', who: 'done', at: FROM + DAY + HOUR },
    { event: 'signed_up', who: 'dropped', at: FROM + 2 * DAY },
    { event: 'signed_up', who: 'open', at: TO - DAY },
    { event: '$identify', who: 'open', at: TO - DAY + 1, props: { $anon_distinct_id: 'open-anon' } },
  ];

  it('lists reached, dropped and in-progress persons; total equals the report figure', async () => {
    const get = await appWith(events);
    const query = { steps: 'signed_up,api_key_created' };
    const report = funnelResponseSchema.parse(await get('funnel', query));
    const list = async (step: number, status: string) =>
      funnelPersonsResponseSchema.parse(await get('funnel/persons', { ...query, step: String(step), status }));

    const reached1 = await list(1, 'reached');
    expect(reached1.total).toBe(report.steps[1]!.count);
    expect(reached1.persons).toEqual([
      { personId: expect.any(String), distinctIds: ['done'], email: 'done@example.com', enteredAt: iso(FROM + DAY), reachedAt: iso(FROM + DAY + HOUR) },
    ]);
    const dropped = await list(1, 'dropped');
    expect([dropped.total, report.steps[1]!.dropOff]).toEqual([1, 1]);
    expect(dropped.persons[0]).toMatchObject({ distinctIds: ['dropped'], email: null, enteredAt: iso(FROM + 2 * DAY), reachedAt: null });
    const open = await list(1, 'inProgress');
    expect([open.total, report.steps[1]!.inProgress]).toEqual([1, 1]);
    expect(open.persons[0]!.distinctIds.sort()).toEqual(['open', 'open-anon']);
    const reached0 = await list(0, 'reached');
    expect(reached0.total).toBe(3);
    expect((await list(0, 'dropped')).total).toBe(0);
  });

  it('pages with limit and offset; total stays the whole count', async () => {
    const get = await appWith(events);
    const page = funnelPersonsResponseSchema.parse(await get('funnel/persons', { steps: 'signed_up,api_key_created', step: '0', limit: '2', offset: '1' }));
    expect(page.total).toBe(3);
    expect(page.persons).toHaveLength(2);
  });

  it.each([
    [{ step: '2', steps: 'a,b' }, 'step'],
    [{ status: 'lost' }, 'status'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '501' }, 'limit'],
    [{ offset: '-1' }, 'offset'],
  ])('%j → 400 naming %s', async (query, name) => {
    const { app } = testApp();
    const res = await getReport(app, 'funnel/persons', query);
    expect(res.status).toBe(400);
    expect(res.body.error.message.startsWith(`${name}:`), res.body.error.message).toBe(true);
  });
});

describe('funnel trend', () => {
  it('enters a person once per interval in which an attempt starts; completed within the window', async () => {
    const get = await appWith([
      // Day 1: enters and completes. Day 3: enters again, and completes on day 4 (within the window).
      { event: 'signed_up', who: 'a', at: FROM + HOUR },
      { event: 'signed_up', who: 'a', at: FROM + 2 * HOUR },
      { event: 'api_key_created', who: 'a', at: FROM + 3 * HOUR },
      { event: 'signed_up', who: 'a', at: FROM + 2 * DAY + HOUR },
      { event: 'api_key_created', who: 'a', at: FROM + 3 * DAY },
      // Day 3: b enters and never completes (window closed by to).
      { event: 'signed_up', who: 'b', at: FROM + 2 * DAY },
      // Last day: c enters, still in progress at to.
      { event: 'signed_up', who: 'c', at: TO - HOUR },
    ]);
    const body = funnelTrendResponseSchema.parse(await get('funnel/trend', { steps: 'signed_up,api_key_created', interval: 'day' }));
    expect(body.interval).toBe('day');
    expect(body.points).toHaveLength(29);
    const byStart = new Map(body.points.map((p) => [p.start, p]));
    expect(byStart.get(iso(FROM))).toEqual({ start: iso(FROM), entered: 1, completed: 1, inProgress: 0, conversion: 1 });
    expect(byStart.get(iso(FROM + DAY))).toEqual({ start: iso(FROM + DAY), entered: 0, completed: 0, inProgress: 0, conversion: null });
    expect(byStart.get(iso(FROM + 2 * DAY))).toEqual({ start: iso(FROM + 2 * DAY), entered: 2, completed: 1, inProgress: 0, conversion: 0.5 });
    expect(byStart.get(iso(TO - DAY))).toMatchObject({ entered: 1, completed: 0, inProgress: 1 });
  });

  it('weeks start on Monday (UTC); the interval defaults to week beyond 31 days', async () => {
    // 2026-03-01 is a Sunday: its ISO week starts on Monday 2026-02-23.
    const { app, db } = testApp();
    await ingest(db, [{ event: 'signed_up', who: 'a', at: FROM + HOUR }]);
    const res = await getReport(app, 'funnel/trend', { from: iso(FROM), to: iso(FROM + 40 * DAY), steps: 'signed_up,api_key_created' });
    const body = funnelTrendResponseSchema.parse(res.body);
    expect(body.interval).toBe('week');
    expect(body.points[0]).toMatchObject({ start: '2026-02-23T00:00:00.000Z', entered: 1 });
    expect(body.points[1]!.start).toBe('2026-03-02T00:00:00.000Z');
  });

  it('any order: a person enters on each interval with any step', async () => {
    const get = await appWith([
      { event: 'api_key_created', who: 'a', at: FROM + HOUR },
      { event: 'signed_up', who: 'a', at: FROM + DAY + HOUR },
    ]);
    const body = funnelTrendResponseSchema.parse(await get('funnel/trend', { steps: 'signed_up,api_key_created', order: 'any', interval: 'day' }));
    expect(body.points.slice(0, 2).map((p) => [p.entered, p.completed])).toEqual([
      [1, 1],
      [1, 0],
    ]);
  });
});

describe('funnel time to convert', () => {
  it('bins per-person seconds between the steps; average and median leave out 0 seconds', async () => {
    const get = await appWith(
      [0, 60, 120, 600].flatMap((s, i) => [
        { event: 'signed_up', who: `p${i}`, at: FROM + DAY },
        { event: 'api_key_created', who: `p${i}`, at: FROM + DAY + s * 1000 },
      ]),
    );
    const body = timeToConvertResponseSchema.parse(await get('funnel/time-to-convert', { steps: 'signed_up,api_key_created', bins: '4' }));
    expect(body.bins).toEqual([
      { fromSeconds: 0, toSeconds: 150, persons: 3 },
      { fromSeconds: 150, toSeconds: 300, persons: 0 },
      { fromSeconds: 300, toSeconds: 450, persons: 0 },
      { fromSeconds: 450, toSeconds: 600, persons: 1 },
    ]);
    expect(body.averageSeconds).toBe(260);
    expect(body.medianSeconds).toBe(120);
  });

  it('measures fromStep to toStep; empty when nobody converted', async () => {
    const get = await appWith([
      { event: 'A', who: 'a', at: FROM + DAY },
      { event: 'B', who: 'a', at: FROM + DAY + 10_000 },
      { event: 'C', who: 'a', at: FROM + DAY + 30_000 },
    ]);
    const body = timeToConvertResponseSchema.parse(await get('funnel/time-to-convert', { steps: 'A,B,C', fromStep: '1', toStep: '2' }));
    expect([body.averageSeconds, body.medianSeconds, body.bins.reduce((n, b) => n + b.persons, 0)]).toEqual([20, 20, 1]);
    const none = timeToConvertResponseSchema.parse(await get('funnel/time-to-convert', { steps: 'A,D' }));
    expect(none).toEqual({ bins: [], averageSeconds: null, medianSeconds: null });
  });

  it.each([
    [{ fromStep: '2', toStep: '1' }, 'fromStep'],
    [{ toStep: '3' }, 'toStep'],
    [{ bins: '101' }, 'bins'],
  ])('%j → 400 naming %s', async (query, name) => {
    const { app } = testApp();
    const res = await getReport(app, 'funnel/time-to-convert', query);
    expect(res.status).toBe(400);
    expect(res.body.error.message.startsWith(`${name}:`), res.body.error.message).toBe(true);
  });
});
