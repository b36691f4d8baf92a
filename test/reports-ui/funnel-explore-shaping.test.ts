/**
 * Pure shaping behind the funnel exploration tools: step filters and exclusions as URL state (both `steps`
 * forms, round trips, malformed input dropped), trend intervals marked partial, time bins, and the person timeline.
 */
import { describe, expect, it } from 'vitest';
import {
  describeFilter,
  encodeExclusionsParam,
  encodeStepsParam,
  filterValue,
  parseExclusionsParam,
  parseStepsParam,
} from '../../site/components/reports/funnel-filters.ts';
import { funnelPosition, personHref, timeline } from '../../site/components/reports/person-shape.ts';
import { defaultQuery, funnelParams, parseQuery, toSearch } from '../../site/components/reports/query.ts';
import { timeBins, trendRows, trendTotals } from '../../site/components/reports/trend-shape.ts';

const range = { from: '2026-11-04T10:00:00.000Z', to: '2026-11-20T00:00:00.000Z' };

describe('step filters and exclusions in the URL', () => {
  it('keeps the comma form without filters and switches to JSON with them', () => {
    expect(encodeStepsParam(['a', 'b'], [])).toBe('a,b');
    expect(encodeStepsParam(['a,1', 'b'], [])).toBe('["a,1","b"]');
    const json = encodeStepsParam(['signed_up', 'api_call'], [[], [{ key: 'status', operator: 'gte', value: 200 }]]);
    expect(JSON.parse(json)).toEqual(['signed_up', { event: 'api_call', properties: [{ key: 'status', operator: 'gte', value: 200 }] }]);
    expect(parseStepsParam(json)).toEqual({ steps: ['signed_up', 'api_call'], filters: [[], [{ key: 'status', operator: 'gte', value: 200 }]] });
  });

  it('drops malformed steps, filters and exclusions instead of throwing', () => {
    expect(parseStepsParam('[not json')).toBeUndefined();
    expect(parseStepsParam('[1, "a", {"event": "b", "properties": [{"key": ""}, {"key": "k", "operator": "nope", "value": {"x": 1}}]}]')).toEqual({
      steps: ['a', 'b'],
      filters: [[], [{ key: 'k' }]],
    });
    expect(parseExclusionsParam('[{"event":"x","fromStep":1,"toStep":1},{"event":"y","fromStep":0,"toStep":2},{"fromStep":0,"toStep":1}]')).toEqual([
      { event: 'y', fromStep: 0, toStep: 2 },
    ]);
    expect(parseExclusionsParam('{')).toEqual([]);
    expect(encodeExclusionsParam([])).toBe('');
  });

  it('round-trips through the query string and reaches the funnel parameters', () => {
    const q = {
      ...defaultQuery(),
      steps: ['signed_up', 'api_key_created', 'first_successful_call'],
      stepFilters: [[{ key: 'email', type: 'person' as const, operator: 'not_icontains' as const, value: '@acme.io' }]],
      exclusions: [{ event: 'api_key_revoked', fromStep: 1, toStep: 2 }],
    };
    const back = parseQuery(toSearch(q));
    expect(back.stepFilters[0]).toEqual(q.stepFilters[0]);
    expect(back.exclusions).toEqual(q.exclusions);
    const params = funnelParams(back, range);
    expect(JSON.parse(params.steps!)[0]).toEqual({ event: 'signed_up', properties: q.stepFilters[0] });
    expect(JSON.parse(params.exclusions!)).toEqual(q.exclusions);
    // An exclusion past the last step is not sent.
    expect(funnelParams({ ...back, steps: ['a', 'b'] }, range).exclusions).toBeUndefined();
    expect(toSearch(defaultQuery())).toBe('');
  });

  it('sends numbers to numeric operators and no value to set checks', () => {
    expect(filterValue('gt', ' 42 ')).toBe(42);
    expect(filterValue('gt', 'abc')).toBe('abc');
    expect(filterValue('exact', '5')).toBe('5');
    expect(filterValue('is_set', 'x')).toBeUndefined();
    expect(describeFilter({ key: 'email', type: 'person', operator: 'icontains', value: '@x' })).toBe('person email contains "@x"');
    expect(describeFilter({ key: 'plan', operator: 'is_set' })).toBe('plan is set');
  });
});

describe('trend and time to convert', () => {
  const res = {
    interval: 'week' as const,
    points: [
      { start: '2026-11-02T00:00:00.000Z', entered: 10, completed: 2, inProgress: 1, conversion: 0.2 },
      { start: '2026-11-09T00:00:00.000Z', entered: 20, completed: 10, inProgress: 0, conversion: 0.5 },
      { start: '2026-11-16T00:00:00.000Z', entered: 5, completed: 0, inProgress: 5, conversion: 0 },
    ],
  };

  it('marks the intervals the range cuts short and keeps them off the full line', () => {
    const rows = trendRows(res, range);
    expect(rows.map((r) => r.partial)).toEqual([true, false, true]);
    expect(rows.map((r) => r.label)).toEqual(['2026-11-02*', '2026-11-09', '2026-11-16*']);
    expect(rows.map((r) => r.fullConversion)).toEqual([null, 0.5, null]);
    expect(rows.map((r) => r.partialConversion)).toEqual([0.2, null, 0]);
    expect(trendTotals(rows)).toEqual({ entered: 20, completed: 10, conversion: 0.5 });
    expect(trendRows({ interval: 'day', points: [res.points[1]!] }, range)[0]!.partial).toBe(false);
  });

  it('labels time bins by their range', () => {
    expect(timeBins({ bins: [{ fromSeconds: 0, toSeconds: 300, persons: 3 }], averageSeconds: 100, medianSeconds: 90 })[0]!.label).toBe('0 s–5 min');
  });
});

describe('person timeline', () => {
  const event = (name: string, properties: Record<string, unknown>, timestamp: string) => ({
    uuid: `${name}-${timestamp}`,
    event: name,
    distinctId: 'd',
    personId: 'p',
    personEmail: null,
    timestamp,
    properties,
  });

  it('names each event, marks failed calls and keeps comments, newest first', () => {
    const entries = timeline([
      event('$pageview', { $pathname: '/docs/a/' }, '2026-11-01T00:00:00Z'),
      event('doc_feedback', { helpful: false, path: '/docs/a/', reason: 'outdated', comment: '<i>old</i>' }, '2026-11-01T00:01:00Z'),
      event('api_call', { status: 429, method: 'POST', endpoint: '/v1/messages' }, '2026-11-01T00:02:00Z'),
      event('api_call', { status: 200, method: 'POST', endpoint: '/v1/messages' }, '2026-11-01T00:03:00Z'),
      event('api_key_revoked', { key_prefix: 'onr_test_1' }, '2026-11-01T00:04:00Z'),
      event('custom_thing', {}, '2026-11-01T00:05:00Z'),
    ]);
    expect(entries.map((e) => e.kind)).toEqual(['other', 'key', 'call', 'call', 'vote', 'page']);
    expect(entries.map((e) => e.failed)).toEqual([false, false, false, true, false, false]);
    expect(entries[4]).toMatchObject({ title: 'Voted not helpful on /docs/a/', comment: '<i>old</i>', detail: 'reason: outdated' });
    expect(entries[5]!.title).toBe('Read /docs/a/');
    expect(personHref('a b/c')).toBe('/reports/person/?id=a+b%2Fc');
  });

  it('says where the person is in the funnel', () => {
    const steps = [
      { event: 'signed_up', reachedAt: '2026-11-01T00:00:00Z' },
      { event: 'api_key_created', reachedAt: null },
    ];
    expect(funnelPosition({ window: '14d', deepestStep: 0, inProgress: true, steps })).toBe('Reached 1 of 2 steps (signed_up), still inside the 14d window');
    expect(funnelPosition({ window: '14d', deepestStep: null, inProgress: false, steps })).toBe('Has not started the funnel (no signed_up yet)');
  });
});
