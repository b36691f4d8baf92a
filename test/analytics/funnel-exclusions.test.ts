/**
 * Hand-computed fixtures for exclusion steps (PostHog's UDF rules and 400s), breakdown attribution and
 * breakdownLimit, through the real store and route on both dialects.
 */
import { describe, expect, it } from 'vitest';
import { funnelResponseSchema } from '../../api/analytics/schemas.ts';
import { testApp } from '../support/app.ts';
import { DAY, type Ev, getReport, HOUR, ingest, iso, T0 } from './support.ts';

const FROM = T0;
const TO = T0 + 28 * DAY;
const range = { from: iso(FROM), to: iso(TO) };
const json = (v: unknown) => JSON.stringify(v);

async function report(events: Ev[], query: Record<string, string>) {
  const { app, db } = testApp();
  await ingest(db, events);
  return getReport(app, 'funnel', { ...range, ...query });
}
async function funnel(events: Ev[], query: Record<string, string>) {
  const res = await report(events, query);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return funnelResponseSchema.parse(res.body);
}
const counts = (r: { steps: Array<{ count: number }> }) => r.steps.map((s) => s.count);
const ABC = 'A,B,C';
const xBetween = (fromStep: number, toStep: number, extra: Record<string, unknown> = {}) => json([{ event: 'X', fromStep, toStep, ...extra }]);
const at = (event: string, who: string, hours: number, props?: Record<string, unknown>): Ev => ({
  event,
  who,
  at: FROM + DAY + hours * HOUR,
  ...(props ? { props } : {}),
});

describe('exclusions', () => {
  it('an excluded event between fromStep and toStep removes the person, step 1 included', async () => {
    const r = await funnel([at('A', 'a', 0), at('X', 'a', 1), at('B', 'a', 2), at('C', 'a', 3), at('A', 'b', 0), at('B', 'b', 2)], {
      steps: ABC,
      exclusions: xBetween(0, 1),
    });
    expect(counts(r)).toEqual([1, 1, 0]);
  });

  it('an exclusion outside its steps or outside the window does not exclude', async () => {
    const r = await funnel(
      [
        // After step B: outside [A, B].
        at('A', 'a', 0),
        at('B', 'a', 1),
        at('X', 'a', 2),
        // Beyond the 1h window of the attempt, which never reached B.
        at('A', 'b', 0),
        at('X', 'b', 2),
      ],
      { steps: ABC, exclusions: xBetween(0, 1), window: '1h' },
    );
    expect(counts(r)).toEqual([2, 1, 0]);
  });

  it('a clean attempt at the same depth replaces an excluded one', async () => {
    const r = await funnel([at('A', 'a', 0), at('X', 'a', 1), at('B', 'a', 2), at('A', 'a', 100), at('B', 'a', 101)], {
      steps: ABC,
      exclusions: xBetween(0, 1),
      window: '1d',
    });
    expect(counts(r)).toEqual([1, 1, 0]);
    expect(r.steps[1]!.medianSecondsFromPrevious).toBe(3600);
  });

  it('an exclusion event at the same instant as a different step event is ignored', async () => {
    const r = await funnel([at('A', 'a', 0), at('X', 'a', 1), at('B', 'a', 1)], { steps: 'A,B', exclusions: xBetween(0, 1) });
    expect(counts(r)).toEqual([1, 1]);
  });

  it('exclusion property filters select which events exclude', async () => {
    const r = await funnel(
      [at('A', 'a', 0), at('X', 'a', 1, { kind: 'soft' }), at('B', 'a', 2), at('A', 'b', 0), at('X', 'b', 1, { kind: 'hard' }), at('B', 'b', 2)],
      {
        steps: 'A,B',
        exclusions: xBetween(0, 1, { properties: [{ key: 'kind', value: 'hard' }] }),
      },
    );
    expect(counts(r)).toEqual([1, 1]);
  });

  it('any order: an exclusion clears progress without removing the person', async () => {
    const r = await funnel([at('B', 'a', 0), at('X', 'a', 1), at('A', 'a', 2)], { steps: 'A,B', order: 'any', exclusions: xBetween(0, 1) });
    expect(counts(r)).toEqual([1, 0]);
  });

  it.each([
    [{ steps: ABC, exclusions: json([{ event: 'B', fromStep: 0, toStep: 2 }]) }, 'exclusions[0].event'],
    [{ steps: ABC, exclusions: xBetween(0, 3) }, 'exclusions[0].toStep'],
    [{ steps: ABC, exclusions: xBetween(1, 1) }, 'exclusions[0].toStep'],
    [{ steps: ABC, order: 'any', exclusions: xBetween(0, 1) }, 'exclusions[0].fromStep'],
    [{ steps: ABC, exclusions: '[{' }, 'exclusions'],
    [{ steps: json(['A', { event: 'B', properties: [{ key: 'k', operator: 'regex', value: '(' }] }]) }, 'steps[1].properties[0].value'],
    [{ steps: json(['A', { event: 'B', properties: [{ key: 'k', operator: 'regex', value: 'a'.repeat(501) }] }]) }, 'steps[1].properties[0].value'],
    [{ steps: json(['A', { event: 'B', properties: [{ key: 'k', operator: 'gt', value: 'x' }] }]) }, 'steps[1].properties[0].value'],
    [{ steps: json(['A', { event: 'B', properties: [{ key: 'k', operator: 'like' }] }]) }, 'steps[1].properties[0].operator'],
    [{ properties: json([{ key: 'k', operator: 'not_regex', value: '[' }]) }, 'properties[0].value'],
    [{ filterTestAccounts: 'yes' }, 'filterTestAccounts'],
    [{ breakdown: 'p', breakdownAttribution: 'middle' }, 'breakdownAttribution'],
    [{ breakdown: 'p', breakdownAttribution: 'step' }, 'breakdownAttributionStep'],
    [{ steps: 'A,B', breakdown: 'p', breakdownAttribution: 'step', breakdownAttributionStep: '2' }, 'breakdownAttributionStep'],
    [{ steps: 'A,B', order: 'any', breakdown: 'p', breakdownAttribution: 'step', breakdownAttributionStep: '1' }, 'breakdownAttributionStep'],
    [{ breakdownLimit: '0' }, 'breakdownLimit'],
    [{ breakdownLimit: '501' }, 'breakdownLimit'],
  ])('%j → 400 naming %s', async (query, name) => {
    const res = await report([], query as Record<string, string>);
    expect(res.status).toBe(400);
    expect(res.body.error.message.startsWith(`${name}:`), res.body.error.message).toBe(true);
  });
});

describe('breakdown attribution', () => {
  const events: Ev[] = [
    at('A', 'a', 0, { src: 'ads' }),
    at('B', 'a', 1, { src: 'blog' }),
    at('B', 'a', 2, { src: 'docs' }),
    // b never does B: under no value with step attribution at step 1.
    at('A', 'b', 0, { src: 'ads' }),
  ];
  it('last_touch is the latest non-empty value', async () => {
    const r = await funnel([...events, at('A', 'c', 0, { src: 'x' }), at('B', 'c', 1, { src: '' })], {
      steps: 'A,B',
      breakdown: 'src',
      breakdownAttribution: 'last_touch',
    });
    expect(r.breakdown.map((b) => [b.value, counts(b)])).toEqual([
      ['ads', [1, 0]],
      ['docs', [1, 1]],
      ['x', [1, 1]],
    ]);
  });

  it('step: the funnel once per value seen on the step-k events; a person may appear under several', async () => {
    const r = await funnel(events, { steps: 'A,B', breakdown: 'src', breakdownAttribution: 'step', breakdownAttributionStep: '1' });
    expect(r.breakdown.map((b) => [b.value, counts(b)])).toEqual([
      ['blog', [1, 1]],
      ['docs', [1, 1]],
    ]);
    expect(counts(r)).toEqual([2, 1]);
  });

  it('step 0 in an any-order funnel', async () => {
    const r = await funnel(events, { steps: 'A,B', order: 'any', breakdown: 'src', breakdownAttribution: 'step', breakdownAttributionStep: '0' });
    expect(r.breakdown.map((b) => [b.value, counts(b)])).toEqual([['ads', [2, 1]]]);
  });

  it('breakdownLimit keeps that many values and folds the rest into Other', async () => {
    const r = await funnel(events, { steps: 'A,B', breakdown: 'src', breakdownLimit: '1' });
    expect(r.breakdown.map((b) => [b.value, counts(b)])).toEqual([['ads', [2, 1]]]);
    const two = await funnel([...events, at('A', 'c', 0, { src: 'zz' })], { steps: 'A,B', breakdown: 'src', breakdownLimit: '1' });
    expect(two.breakdown.map((b) => [b.value, counts(b)])).toEqual([
      ['ads', [2, 1]],
      ['Other', [1, 0]],
    ]);
  });
});
