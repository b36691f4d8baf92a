/**
 * Hand-computed funnel fixtures, stored through the real event store and read through the real route.
 */
import { describe, expect, it } from 'vitest';
import { funnelResponseSchema } from '../../api/analytics/schemas.ts';
import { testApp } from '../support/app.ts';
import { call, DAY, type Ev, getReport, HOUR, ingest, iso, T0 } from './support.ts';

const FROM = T0;
const TO = T0 + 28 * DAY;
const range = { from: iso(FROM), to: iso(TO) };

async function funnel(events: Ev[], query: Record<string, string> = {}) {
  const { app, db } = testApp();
  await ingest(db, events);
  const res = await getReport(app, 'funnel', { ...range, ...query });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return funnelResponseSchema.parse(res.body);
}
const counts = (r: { steps: Array<{ count: number }> }) => r.steps.map((s) => s.count);
const twoSteps = { steps: 'signed_up,api_key_created' };

describe('funnel: window and range edges', () => {
  it('counts a step exactly at step-1 time + window (inclusive) and not 1 ms later', async () => {
    const r = await funnel(
      [
        { event: 'signed_up', who: 'a', at: FROM + DAY },
        { event: 'api_key_created', who: 'a', at: FROM + DAY + 2 * HOUR },
        { event: 'signed_up', who: 'b', at: FROM + DAY },
        { event: 'api_key_created', who: 'b', at: FROM + DAY + 2 * HOUR + 1 },
      ],
      { ...twoSteps, window: '2h' },
    );
    expect(counts(r)).toEqual([2, 1]);
    expect(r.window).toBe('2h');
  });

  it('counts events exactly at from and to, and none outside [from, to]', async () => {
    const r = await funnel(
      [
        { event: 'signed_up', who: 'a', at: FROM },
        { event: 'api_key_created', who: 'a', at: TO },
        { event: 'signed_up', who: 'b', at: FROM - 1 },
        { event: 'api_key_created', who: 'b', at: FROM + HOUR },
        { event: 'signed_up', who: 'c', at: TO - HOUR },
        { event: 'api_key_created', who: 'c', at: TO + 1 },
      ],
      { ...twoSteps, window: '30d' },
    );
    expect(counts(r)).toEqual([2, 1]);
  });

  it('needs later steps at or after the previous one; the same timestamp counts (ties in step order)', async () => {
    const r = await funnel(
      [
        // Ingested out of order on purpose: storage order must not matter.
        { event: 'api_key_created', who: 'a', at: FROM + 2 * DAY },
        { event: 'signed_up', who: 'a', at: FROM + 3 * DAY },
        { event: 'api_key_created', who: 'b', at: FROM + 5 * DAY },
        { event: 'signed_up', who: 'b', at: FROM + 5 * DAY },
      ],
      twoSteps,
    );
    expect(counts(r)).toEqual([2, 1]);
  });
});

describe('funnel: attempts', () => {
  it('a new step-1 event starts a new attempt; the person counts once at the deepest step', async () => {
    const r = await funnel(
      [
        { event: 'signed_up', who: 'a', at: FROM },
        { event: 'signed_up', who: 'a', at: FROM + 10 * DAY },
        // 15 days after the first attempt, 5 after the second: only the second attempt's window holds it.
        { event: 'api_key_created', who: 'a', at: FROM + 15 * DAY },
        { event: 'signed_up', who: 'a', at: FROM + 20 * DAY },
      ],
      twoSteps,
    );
    expect(counts(r)).toEqual([1, 1]);
    // Timing from the attempt that reached step 2 (started day 10): 5 days.
    expect(r.steps[1]!.medianSecondsFromPrevious).toBe(5 * 86_400);
  });

  it('an event repeated as a later step needs a new occurrence', async () => {
    const one = await funnel([{ event: '$pageview', who: 'a', at: FROM + DAY }], { steps: '$pageview,$pageview' });
    expect(counts(one)).toEqual([1, 0]);
    const two = await funnel(
      [
        { event: '$pageview', who: 'a', at: FROM + DAY },
        { event: '$pageview', who: 'a', at: FROM + DAY },
      ],
      { steps: '$pageview,$pageview,$pageview' },
    );
    expect(counts(two)).toEqual([1, 1, 0]);
  });

  it('medians and p90 of time from the previous step use linear interpolation over persons', async () => {
    const r = await funnel(
      [
        { event: 'signed_up', who: 'a', at: FROM + DAY },
        { event: 'api_key_created', who: 'a', at: FROM + DAY + 60_000 },
        { event: 'signed_up', who: 'b', at: FROM + DAY },
        { event: 'api_key_created', who: 'b', at: FROM + DAY + 120_000 },
      ],
      twoSteps,
    );
    expect(r.steps[1]!.medianSecondsFromPrevious).toBe(90);
    expect(r.steps[1]!.p90SecondsFromPrevious).toBeCloseTo(114, 9);
    expect(r.steps[0]!.medianSecondsFromPrevious).toBeNull();
  });
});

describe('funnel: identity merge', () => {
  it('anonymous events before $identify belong to the identified person', async () => {
    const { app, db } = testApp();
    await ingest(db, [
      { event: '$pageview', who: 'anon-1', at: FROM + DAY, props: { $pathname: '/docs/' } },
      { event: 'signed_up', who: 'acct-1', at: FROM + DAY + HOUR },
    ]);
    const before = await getReport(app, 'funnel', { ...range, steps: '$pageview,signed_up' });
    expect(counts(before.body)).toEqual([1, 0]);
    await ingest(db, [{ event: '$identify', who: 'acct-1', at: FROM + DAY + HOUR + 1, props: { $anon_distinct_id: 'anon-1' } }]);
    const after = await getReport(app, 'funnel', { ...range, steps: '$pageview,signed_up' });
    expect(counts(after.body)).toEqual([1, 1]);
    expect(after.body.steps[1].medianSecondsFromPrevious).toBe(3600);
  });
});

describe('funnel: orders', () => {
  const events: Ev[] = [
    { event: 'signed_up', who: 'a', at: FROM + DAY },
    { event: '$pageview', who: 'a', at: FROM + DAY + 1000, props: { $pathname: '/docs/' } },
    { event: 'api_key_created', who: 'a', at: FROM + DAY + 2000 },
    { event: 'signed_up', who: 'b', at: FROM + DAY },
    { event: 'api_key_created', who: 'b', at: FROM + DAY + 2000 },
    { event: 'api_key_created', who: 'c', at: FROM + DAY },
    { event: 'signed_up', who: 'c', at: FROM + DAY + 2000 },
  ];

  it('ordered allows other events between steps', async () => {
    expect(counts(await funnel(events, twoSteps))).toEqual([3, 2]);
  });

  it('strict: any other event of the person between steps breaks the attempt', async () => {
    const r = await funnel(events, { ...twoSteps, order: 'strict' });
    expect(r.order).toBe('strict');
    expect(counts(r)).toEqual([3, 1]);
  });

  it('any order: steps may come in any order within the window', async () => {
    expect(counts(await funnel(events, { ...twoSteps, order: 'any' }))).toEqual([3, 3]);
  });

  it('strict counts the first successful call as its own api_call, but an earlier failed call breaks it', async () => {
    const r = await funnel(
      [
        { event: 'api_key_created', who: 'a', at: FROM + DAY },
        call('a', FROM + DAY + 1000, 200),
        { event: 'api_key_created', who: 'b', at: FROM + DAY },
        call('b', FROM + DAY + 1000, 401, { error_code: 'invalid_api_key' }),
        call('b', FROM + DAY + 2000, 200),
      ],
      { steps: 'api_key_created,first_successful_call', order: 'strict' },
    );
    expect(counts(r)).toEqual([2, 1]);
  });
});

describe('funnel: first_successful_call', () => {
  it('is the earliest 2xx api_call over all time, counted only when inside [from, to]', async () => {
    const r = await funnel(
      [
        { event: 'api_key_created', who: 'a', at: FROM + DAY },
        call('a', FROM + DAY + 1000, 401, { error_code: 'invalid_api_key' }),
        call('a', FROM + DAY + 5000, 201),
        call('a', FROM + DAY + 9000, 200),
        // b's first success was before the range: later successes are not "first".
        call('b', FROM - DAY, 200),
        { event: 'api_key_created', who: 'b', at: FROM + DAY },
        call('b', FROM + 2 * DAY, 200),
        // c sent an event literally named first_successful_call, which is ignored in favour of the definition.
        { event: 'api_key_created', who: 'c', at: FROM + DAY },
        { event: 'first_successful_call', who: 'c', at: FROM + DAY + 1 },
      ],
      { steps: 'api_key_created,first_successful_call' },
    );
    expect(counts(r)).toEqual([3, 1]);
    expect(r.steps[1]!.medianSecondsFromPrevious).toBe(5);
  });
});

describe('funnel: in progress vs dropped', () => {
  it('splits those who reached the previous step but not this one by whether their window is still open at to', async () => {
    const r = await funnel(
      [
        { event: 'signed_up', who: 'open', at: TO - 2 * DAY },
        { event: 'signed_up', who: 'closed', at: TO - 20 * DAY },
        { event: 'signed_up', who: 'done', at: TO - 20 * DAY },
        { event: 'api_key_created', who: 'done', at: TO - 19 * DAY },
      ],
      twoSteps,
    );
    expect(r.steps[1]).toMatchObject({ count: 1, inProgress: 1, dropOff: 1, conversionFromPrevious: 1 / 3, conversionFromStart: 1 / 3 });
    expect(r.steps[0]).toMatchObject({ count: 3, inProgress: 0, dropOff: 0, conversionFromStart: 1 });
  });

  it('returns null rates (never NaN) for an empty range', async () => {
    const r = await funnel([], twoSteps);
    expect(r.steps.map((s) => [s.count, s.conversionFromStart, s.conversionFromPrevious, s.medianSecondsFromPrevious])).toEqual([
      [0, null, null, null],
      [0, null, null, null],
    ]);
    expect(r.flags).toEqual([]);
  });
});

describe('funnel: breakdown in every order', () => {
  it.each(['ordered', 'strict', 'any'])('%s: first touch decides the value', async (order) => {
    const r = await funnel(
      [
        { event: 'signed_up', who: 'a', at: FROM + DAY, props: { plan: 'free' } },
        { event: 'api_key_created', who: 'a', at: FROM + DAY + 1000, props: { plan: 'ignored' } },
        { event: 'signed_up', who: 'a', at: FROM + 2 * DAY, props: { plan: 'team' } },
        { event: 'signed_up', who: 'b', at: FROM + DAY, props: { plan: 'team' } },
        call('b', FROM + DAY + 500, 200),
      ],
      { steps: 'signed_up,api_key_created', breakdown: 'plan', order },
    );
    expect(r.breakdown.map((b) => [b.value, counts(b)])).toEqual([
      ['free', [1, 1]],
      ['team', [1, 0]],
    ]);
  });

  it('reads the breakdown from the first successful call when it is step 1', async () => {
    const r = await funnel(
      [call('a', FROM + DAY, 401, { key_prefix: 'onr_test_aaaaaaaa' }), call('a', FROM + DAY + 1, 200, { key_prefix: 'onr_test_bbbbbbbb' })],
      { steps: 'first_successful_call,api_key_created', breakdown: 'key_prefix' },
    );
    expect(r.breakdown.map((b) => [b.value, counts(b)])).toEqual([['onr_test_bbbbbbbb', [1, 0]]]);
  });
});

describe('funnel: breakdown', () => {
  it('uses the property of the first step-1 event, keeps the top 25 values and folds the rest into Other', async () => {
    const events: Ev[] = [];
    // Value v0 has 30 persons, v1..v25 have 2 each (v1 wins ties by name order), v26 1; p-null has no property.
    for (let i = 0; i < 30; i++) events.push({ event: 'signed_up', who: `v0-${i}`, at: FROM + DAY, props: { source: 'v00' } });
    for (let v = 1; v <= 26; v++) {
      const n = v === 26 ? 1 : 2;
      for (let i = 0; i < n; i++) events.push({ event: 'signed_up', who: `v${v}-${i}`, at: FROM + DAY, props: { source: `v${String(v).padStart(2, '0')}` } });
    }
    events.push({ event: 'signed_up', who: 'first-touch', at: FROM + DAY, props: { source: 'v00' } });
    events.push({ event: 'signed_up', who: 'first-touch', at: FROM + 2 * DAY, props: { source: 'v26' } });
    events.push({ event: 'api_key_created', who: 'first-touch', at: FROM + 2 * DAY });
    events.push({ event: 'signed_up', who: 'p-null', at: FROM + DAY });
    const r = await funnel(events, { ...twoSteps, breakdown: 'source' });
    expect(r.breakdown).toHaveLength(26);
    expect(r.breakdown[0]).toMatchObject({ value: 'v00' });
    expect(counts(r.breakdown[0]!)).toEqual([31, 1]);
    const other = r.breakdown[25]!;
    expect(other.value).toBe('Other');
    // Left out of the top 25: v25 (2, last by name among the 2s), v26 (1) and null (1).
    expect(counts(other)).toEqual([4, 0]);
    expect(r.breakdown.reduce((sum, b) => sum + b.steps[0]!.count, 0)).toBe(r.steps[0]!.count);
  });
});
