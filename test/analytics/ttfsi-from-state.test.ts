/**
 * TTFSI's rows from the per-person state (ttfsiFromState in api/analytics/person-state/reports.ts) at the edges the
 * random histories seldom reach: an end at the start's instant (the first successful call sorts before milestones
 * there), an end before the start, and both periods from one walk, with the state's base kept and walked.
 */
import { describe, expect, it } from 'vitest';
import { parseTtfsiParams } from '../../api/analytics/params.ts';
import { ttfsiFromState } from '../../api/analytics/person-state/reports.ts';
import { type StateView, stateView } from '../../api/analytics/person-state/snapshot.ts';
import { createNameCodes, createStateBuilder } from '../../api/analytics/person-state/state-arrays.ts';

/** Person 1 succeeds at their signup's instant, 2 succeeded before signing up, 3 signs up twice and succeeds later. */
function state(kept: boolean): StateView {
  const names = createNameCodes();
  const signup = names.intern('signed_up');
  const key = names.intern('api_key_created');
  const builder = createStateBuilder();
  builder.person(1, 10_000);
  builder.milestone(10_000, signup);
  builder.person(2, 5_000);
  builder.milestone(10_000, signup);
  builder.person(3, 250_000);
  builder.milestone(20_000, signup);
  builder.milestone(30_000, key);
  builder.milestone(120_000, signup);
  return stateView(names, builder.finish(), new Map(), [], kept);
}

function rows(view: StateView, query: Record<string, string>, periods: Array<{ from: number; to: number }>) {
  const out: Array<[number, number, number | null]> = [];
  expect(ttfsiFromState(view, parseTtfsiParams({ from: '0', to: '300000', ...query }), periods, (period, r) => out.push([period, r.start, r.seconds]))).toBe(
    true,
  );
  return out;
}

describe.each([false, true])('TTFSI from the state (base kept: %s)', (kept) => {
  it('counts an end at the start instant, not one before it, in each period', () => {
    const periods = [
      { from: 0, to: 300_000 },
      { from: 100_000, to: 200_000 },
    ];
    expect(rows(state(kept), {}, periods)).toEqual([
      [0, 10_000, 0],
      [0, 10_000, null],
      [0, 20_000, 230],
      [1, 120_000, null],
    ]);
  });

  it('reads milestones as start and end', () => {
    expect(rows(state(kept), { start: 'api_key_created', end: 'signed_up' }, [{ from: 0, to: 300_000 }])).toEqual([[0, 30_000, 90]]);
  });
});
