/**
 * Hand-computed fixtures for PostHog's funnel rules: the three semantic fixes (first touch, first attempt at the
 * deepest step, events at one instant), every property operator, global and test-account filters, and averages.
 * Stored through the real event store and read through the real route, on both dialects.
 */
import { describe, expect, it } from 'vitest';
import { funnelResponseSchema } from '../../api/analytics/schemas.ts';
import { ADMIN_TOKEN, PROJECT_TOKEN, SERVER_TOKEN, testApp } from '../support/app.ts';
import { DAY, type Ev, getReport, HOUR, ingest, iso, T0 } from './support.ts';

const FROM = T0;
const TO = T0 + 28 * DAY;
const range = { from: iso(FROM), to: iso(TO) };

async function funnel(events: Ev[], query: Record<string, string> = {}, env: Record<string, unknown> = {}) {
  const { app, db } = testApp(
    Object.keys(env).length ? { env: { ONRAMP_PROJECT_TOKEN: PROJECT_TOKEN, ONRAMP_ADMIN_TOKEN: ADMIN_TOKEN, ONRAMP_SERVER_TOKEN: SERVER_TOKEN, ...env } } : {},
  );
  await ingest(db, events);
  const res = await getReport(app, 'funnel', { ...range, ...query });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return funnelResponseSchema.parse(res.body);
}
const counts = (r: { steps: Array<{ count: number }> }) => r.steps.map((s) => s.count);
const json = (v: unknown) => JSON.stringify(v);

describe('fix 1: first touch is the earliest non-empty value among the step events', () => {
  it.each(['ordered', 'strict', 'any'])('%s', async (order) => {
    const r = await funnel(
      [
        // a: step 1 has no value, step 2 has one: a is under "team", not null.
        { event: 'signed_up', who: 'a', at: FROM + DAY },
        { event: 'api_key_created', who: 'a', at: FROM + DAY + 1000, props: { plan: 'team' } },
        // b: an empty string is no value either.
        { event: 'signed_up', who: 'b', at: FROM + DAY, props: { plan: '' } },
        { event: 'api_key_created', who: 'b', at: FROM + DAY + 1000, props: { plan: 'free' } },
        // c: no step event carries it.
        { event: 'signed_up', who: 'c', at: FROM + DAY },
      ],
      { steps: 'signed_up,api_key_created', breakdown: 'plan', order },
    );
    expect(r.breakdown.map((b) => [b.value, counts(b)])).toEqual([
      // Ties on step-1 count are ordered by the value's text ("null" for no value).
      ['free', [1, 1]],
      [null, [1, 0]],
      ['team', [1, 1]],
    ]);
  });
});

describe('fix 2: timings come from the first attempt that reached the deepest step', () => {
  it.each(['ordered', 'strict'])('%s: a later attempt at the same depth does not replace it', async (order) => {
    const r = await funnel(
      [
        { event: 'signed_up', who: 'a', at: FROM + DAY },
        { event: 'api_key_created', who: 'a', at: FROM + DAY + HOUR },
        { event: 'signed_up', who: 'a', at: FROM + 2 * DAY },
        { event: 'api_key_created', who: 'a', at: FROM + 2 * DAY + 60_000 },
      ],
      { steps: 'signed_up,api_key_created', order },
    );
    expect(r.steps[1]!.medianSecondsFromPrevious).toBe(3600);
  });

  it('any order: the first attempt reaching the depth (PostHog test_basic_unordered_funnel_conversion_times)', async () => {
    const r = await funnel(
      [
        { event: 'api_key_created', who: 'a', at: FROM + DAY },
        { event: 'signed_up', who: 'a', at: FROM + DAY + HOUR },
        { event: 'signed_up', who: 'a', at: FROM + 3 * DAY },
        { event: 'api_key_created', who: 'a', at: FROM + 3 * DAY + 60_000 },
      ],
      { steps: 'signed_up,api_key_created', order: 'any' },
    );
    expect(r.steps[1]!.medianSecondsFromPrevious).toBe(3600);
  });

  it('the first attempt also decides in progress vs dropped', async () => {
    const r = await funnel(
      [
        // Attempt 1 reached step 2 and its window closed; attempt 2 also reached step 2 with an open window.
        { event: 'signed_up', who: 'a', at: TO - 20 * DAY },
        { event: 'api_key_created', who: 'a', at: TO - 20 * DAY + HOUR },
        { event: 'signed_up', who: 'a', at: TO - DAY },
        { event: 'api_key_created', who: 'a', at: TO - DAY + HOUR },
      ],
      { steps: 'signed_up,api_key_created,first_successful_call' },
    );
    expect(r.steps[2]).toMatchObject({ count: 0, dropOff: 1, inProgress: 0 });
  });
});

describe('fix 3: events at the same instant have no order', () => {
  const names = ['A', 'B', 'B', 'C', 'C', 'D', 'B', 'C', 'D', 'A'];
  it.each(['ordered', 'strict', 'any'])('%s: a 10-step funnel over 4 names converts fully at one timestamp', async (order) => {
    const r = await funnel(
      names.map((event) => ({ event, who: 'a', at: FROM + DAY })),
      { steps: names.join(','), order },
    );
    expect(counts(r)).toEqual(new Array(10).fill(1));
  });

  it('one event never fills two steps of one attempt', async () => {
    const r = await funnel([{ event: 'A', who: 'a', at: FROM + DAY }], { steps: 'A,A' });
    expect(counts(r)).toEqual([1, 0]);
  });

  it('a step event at the same instant as step 1 counts, in either stored order', async () => {
    const r = await funnel(
      [
        { event: 'api_key_created', who: 'a', at: FROM + DAY },
        { event: 'signed_up', who: 'a', at: FROM + DAY },
      ],
      { steps: 'signed_up,api_key_created' },
    );
    expect(counts(r)).toEqual([1, 1]);
  });
});

describe('step property filters: every operator, as PostHog compares', () => {
  const people: Array<[string, Record<string, unknown>]> = [
    ['a', { plan: 'Free', n: 5 }],
    ['b', { plan: 'team', n: '12' }],
    ['c', { plan: 'enterprise_%' }],
    ['d', {}],
    ['e', { plan: true, n: 5.5 }],
  ];
  const events: Ev[] = people.flatMap(([who, props]) => [
    { event: 'signed_up', who, at: FROM + DAY, props: { $set: { email: `${who}@${who === 'a' ? 'corp.example' : 'mail.example'}` } } },
    { event: 'api_key_created', who, at: FROM + DAY + 1000, props },
  ]);
  it.each([
    [{ key: 'plan', value: 'Free' }, 'a'],
    [{ key: 'plan', operator: 'exact', value: 'free' }, ''],
    [{ key: 'n', operator: 'exact', value: '5' }, 'a'],
    [{ key: 'n', operator: 'exact', value: 12 }, 'b'],
    [{ key: 'plan', operator: 'exact', value: true }, 'e'],
    [{ key: 'plan', operator: 'exact', value: ['team', 'Free'] }, 'ab'],
    [{ key: 'plan', operator: 'is_not', value: 'Free' }, 'bcde'],
    [{ key: 'plan', operator: 'is_not', value: ['Free', 'team'] }, 'cde'],
    [{ key: 'plan', operator: 'icontains', value: 'E' }, 'abce'],
    [{ key: 'plan', operator: 'icontains', value: '_%' }, 'c'],
    [{ key: 'plan', operator: 'not_icontains', value: 'free' }, 'bcde'],
    [{ key: 'plan', operator: 'regex', value: '^F' }, 'a'],
    [{ key: 'plan', operator: 'not_regex', value: '^F' }, 'bcde'],
    [{ key: 'n', operator: 'gt', value: 5 }, 'be'],
    [{ key: 'n', operator: 'gte', value: '5' }, 'abe'],
    [{ key: 'n', operator: 'lt', value: 6 }, 'ae'],
    [{ key: 'n', operator: 'lte', value: 5 }, 'a'],
    [{ key: 'plan', operator: 'is_set' }, 'abce'],
    [{ key: 'plan', operator: 'is_not_set' }, 'd'],
    [{ key: 'email', type: 'person', operator: 'icontains', value: '@corp.' }, 'a'],
    [{ key: 'email', type: 'person', operator: 'not_icontains', value: '@corp.' }, 'bcde'],
  ])('%j reaches step 2 for persons %s', async (filter, expected) => {
    const steps = json(['signed_up', { event: 'api_key_created', name: 'Key', properties: [filter] }]);
    const r = await funnel(events, { steps });
    expect(counts(r)).toEqual([5, expected.length]);
    expect(r.steps[1]!.name).toBe('Key');
    expect(r.steps[0]!.name).toBe('signed_up');
  });

  it('event names may contain commas in the JSON form', async () => {
    const r = await funnel(
      [
        { event: 'a,b', who: 'x', at: FROM + DAY },
        { event: 'c', who: 'x', at: FROM + DAY + 1 },
      ],
      { steps: json(['a,b', 'c']) },
    );
    expect(counts(r)).toEqual([1, 1]);
  });

  it('global properties apply to every step event; filterTestAccounts applies ONRAMP_TEST_ACCOUNT_FILTERS', async () => {
    const withProps: Ev[] = events.map((e) => (e.event === 'signed_up' ? { ...e, props: { ...e.props, plan: 'x' } } : e));
    const globalR = await funnel(withProps, { steps: 'signed_up,api_key_created', properties: json([{ key: 'plan', operator: 'is_set' }]) });
    expect(counts(globalR)).toEqual([5, 4]);
    const testAccounts = [{ key: 'email', type: 'person', operator: 'not_icontains', value: '@corp.example' }];
    const off = await funnel(events, { steps: 'signed_up,api_key_created' }, { ONRAMP_TEST_ACCOUNT_FILTERS: testAccounts });
    expect(counts(off)).toEqual([5, 5]);
    const on = await funnel(events, { steps: 'signed_up,api_key_created', filterTestAccounts: 'true' }, { ONRAMP_TEST_ACCOUNT_FILTERS: testAccounts });
    expect(counts(on)).toEqual([4, 4]);
  });
});

describe('average time', () => {
  it('averages and medians leave out conversions of exactly 0 seconds', async () => {
    const r = await funnel(
      [
        { event: 'signed_up', who: 'a', at: FROM + DAY },
        { event: 'api_key_created', who: 'a', at: FROM + DAY },
        { event: 'signed_up', who: 'b', at: FROM + DAY },
        { event: 'api_key_created', who: 'b', at: FROM + DAY + 60_000 },
        { event: 'signed_up', who: 'c', at: FROM + DAY },
        { event: 'api_key_created', who: 'c', at: FROM + DAY + 180_000 },
      ],
      { steps: 'signed_up,api_key_created' },
    );
    expect(r.steps[1]).toMatchObject({ count: 3, averageSecondsFromPrevious: 120, medianSecondsFromPrevious: 120 });
    expect(r.steps[0]!.averageSecondsFromPrevious).toBeNull();
  });
});
