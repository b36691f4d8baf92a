/**
 * PostHog's own funnel test cases, ported as data: the events each test creates and what it asserts, run through
 * the real store and route on both dialects. The source names the PostHog test
 * (posthog/hogql_queries/insights/funnels/test/).
 */
import { describe, expect, it } from 'vitest';
import { funnelResponseSchema } from '../../api/analytics/schemas.ts';
import { testApp } from '../support/app.ts';
import { getReport, ingest } from './support.ts';

interface PortedCase {
  source: string;
  query: Record<string, string>;
  /** [distinct id, event, UTC time]. */
  events: Array<[string, string, string]>;
  counts: number[];
  /** averageSecondsFromPrevious per step, when the test asserts it. */
  averages?: Array<number | null>;
}

const MAY = { from: '2021-05-01T00:00:00Z', to: '2021-05-07T23:59:59Z' };
const MAY14 = { from: '2021-05-01T00:00:00Z', to: '2021-05-14T00:00:00Z' };

/** test_funnel.py :: test_advanced_funnel_exclusions_between_steps: three persons, `x` at different places. */
const BETWEEN_STEPS: Array<[string, string, string]> = [
  ['person1', 'user signed up', '2021-05-01T01:00:00Z'],
  ['person1', '$pageview', '2021-05-01T02:00:00Z'],
  ['person1', 'x', '2021-05-01T03:00:00Z'],
  ['person1', 'insight viewed', '2021-05-01T04:00:00Z'],
  ['person1', 'x', '2021-05-01T04:30:00Z'],
  ['person1', 'invite teammate', '2021-05-01T05:00:00Z'],
  ['person1', 'x', '2021-05-01T05:30:00Z'],
  ['person1', 'pageview2', '2021-05-01T06:00:00Z'],
  ['person2', 'user signed up', '2021-05-01T01:00:00Z'],
  ['person2', '$pageview', '2021-05-01T02:00:00Z'],
  ['person2', 'insight viewed', '2021-05-01T04:00:00Z'],
  ['person2', 'x', '2021-05-01T04:30:00Z'],
  ['person2', 'invite teammate', '2021-05-01T05:00:00Z'],
  ['person2', 'x', '2021-05-01T05:30:00Z'],
  ['person2', 'pageview2', '2021-05-01T06:00:00Z'],
  ['person3', 'user signed up', '2021-05-01T01:00:00Z'],
  ['person3', 'x', '2021-05-01T01:30:00Z'],
  ['person3', '$pageview', '2021-05-01T02:00:00Z'],
  ['person3', 'insight viewed', '2021-05-01T04:00:00Z'],
  ['person3', 'invite teammate', '2021-05-01T05:00:00Z'],
  ['person3', 'x', '2021-05-01T05:30:00Z'],
  ['person3', 'pageview2', '2021-05-01T06:00:00Z'],
];
const betweenSteps = (fromStep: number, toStep: number, persons: number): PortedCase => ({
  source: `test_funnel.py :: test_advanced_funnel_exclusions_between_steps (x from ${fromStep} to ${toStep})`,
  query: {
    ...MAY14,
    steps: 'user signed up,$pageview,insight viewed,invite teammate,pageview2',
    exclusions: JSON.stringify([{ event: 'x', fromStep, toStep }]),
  },
  events: BETWEEN_STEPS,
  counts: new Array(5).fill(persons),
});

const CASES: PortedCase[] = [
  betweenSteps(0, 1, 2),
  betweenSteps(1, 2, 2),
  betweenSteps(2, 3, 1),
  betweenSteps(3, 4, 0),
  betweenSteps(1, 3, 1),
  {
    source: 'test_funnel_unordered.py :: test_basic_unordered_funnel_conversion_times',
    query: { ...MAY, steps: 'user signed up,$pageview,insight viewed', order: 'any', window: '1d' },
    events: [
      ['stopped_after_signup1', 'user signed up', '2021-05-02T00:00:00Z'],
      ['stopped_after_pageview1', '$pageview', '2021-05-02T00:00:00Z'],
      ['stopped_after_pageview1', 'user signed up', '2021-05-02T01:00:00Z'],
      ['stopped_after_insightview', 'insight viewed', '2021-05-02T00:00:00Z'],
      ['stopped_after_insightview', 'user signed up', '2021-05-02T02:00:00Z'],
      ['stopped_after_insightview', '$pageview', '2021-05-02T04:00:00Z'],
      ['stopped_after_insightview', '$pageview', '2021-05-03T00:00:00Z'],
      ['stopped_after_insightview', 'insight viewed', '2021-05-03T03:00:00Z'],
      ['stopped_after_insightview', 'user signed up', '2021-05-03T06:00:00Z'],
    ],
    counts: [3, 2, 1],
    // "UDF Funnels take the first conversion, not an average of all of their conversions."
    averages: [null, 5400, 7200],
  },
  {
    source: 'test_funnel_unordered.py :: test_funnel_exclusions_full_window',
    query: { ...MAY14, steps: 'user signed up,paid', order: 'any', exclusions: JSON.stringify([{ event: 'x', fromStep: 0, toStep: 1 }]) },
    events: [
      ['person1', 'user signed up', '2021-05-01T01:00:00Z'],
      ['person1', 'paid', '2021-05-01T02:00:00Z'],
      ['person2', 'user signed up', '2021-05-01T03:00:00Z'],
      ['person2', 'x', '2021-05-01T03:30:00Z'],
      ['person2', 'paid', '2021-05-01T04:00:00Z'],
      ['person3', 'user signed up', '2021-05-01T05:00:00Z'],
      ['person3', 'paid', '2021-05-01T06:00:00Z'],
    ],
    counts: [3, 2],
  },
  {
    source: 'test_funnel_unordered.py :: test_unordered_exclusion_after_completion',
    query: { ...MAY14, steps: 'user signed up,paid,left', order: 'any', exclusions: JSON.stringify([{ event: 'x', fromStep: 0, toStep: 2 }]) },
    events: [
      ['person1', 'user signed up', '2021-05-01T01:00:00Z'],
      ['person1', 'paid', '2021-05-01T02:00:00Z'],
      ['person1', 'left', '2021-05-01T03:00:00Z'],
      ['person1', 'x', '2021-05-01T04:00:00Z'],
      ['person1', 'left', '2021-05-01T05:00:00Z'],
    ],
    counts: [1, 1, 1],
  },
  {
    source: 'test_funnel_udf.py :: test_events_same_timestamp_no_exclusions',
    query: { ...MAY, steps: 'A,B,B,C,C,D,B,C,D,A' },
    events: ['A', 'B', 'B', 'C', 'C', 'D', 'B', 'C', 'D', 'A'].map((e) => ['p', e, '2021-05-02T00:00:00Z'] as [string, string, string]),
    counts: new Array(10).fill(1),
  },
];

describe('PostHog funnel test cases, ported as data', () => {
  it.each(CASES.map((c) => [c.source, c] as const))('%s', async (_source, c) => {
    const { app, db } = testApp();
    await ingest(
      db,
      c.events.map(([who, event, at]) => ({ who, event, at: Date.parse(at) })),
    );
    const res = await getReport(app, 'funnel', c.query);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const report = funnelResponseSchema.parse(res.body);
    expect(report.steps.map((s) => s.count)).toEqual(c.counts);
    if (c.averages) expect(report.steps.map((s) => s.averageSecondsFromPrevious)).toEqual(c.averages);
  });
});
