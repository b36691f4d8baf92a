import { describe, expect, it } from 'vitest';
import type { DocPage, FunnelStep } from '../../api/analytics/contract.ts';
import { csvFileName, toCsv } from '../../site/components/reports/csv.ts';
import { commentsNewestFirst, filterPages, parseDocSort, reasonRows, sortPages, worstFirst } from '../../site/components/reports/docs-shape.ts';
import { eventContext, eventRows, eventsQuery } from '../../site/components/reports/events-shape.ts';
import { docsRowHref, flagCallout, withEvidenceOnce } from '../../site/components/reports/flag-shape.ts';
import { formatDuration, formatMs, formatPercent } from '../../site/components/reports/format.ts';
import { breakdownChart, breakdownRows, cohortRow, funnelBars, isEmptyFunnel, stepTimes, weeklyRanges } from '../../site/components/reports/funnel-shape.ts';
import { combinedTopErrors, errorRateRows, latencyRows, shortEndpoint } from '../../site/components/reports/health-shape.ts';
import { defaultQuery, parseQuery, resolveRange, safeNext, toSearch } from '../../site/components/reports/query.ts';
import { histogramRows, logTimeTicks, survivalCurve, ttfsiCohorts } from '../../site/components/reports/ttfsi-shape.ts';

function step(event: string, count: number, extra: Partial<FunnelStep> = {}): FunnelStep {
  return {
    event,
    name: event,
    count,
    conversionFromStart: 0,
    conversionFromPrevious: 0,
    dropOff: 0,
    inProgress: 0,
    averageSecondsFromPrevious: null,
    medianSecondsFromPrevious: null,
    p90SecondsFromPrevious: null,
    ...extra,
  };
}

function page(path: string, extra: Partial<DocPage> = {}): DocPage {
  return {
    path,
    title: null,
    views: 10,
    readers: 5,
    helpful: 0,
    notHelpful: 0,
    helpfulRate: null,
    wilsonLower: null,
    reasons: {},
    comments: [],
    readerConversion: null,
    nonReaderConversion: null,
    flagged: false,
    ...extra,
  };
}

describe('URL query state', () => {
  it('round-trips every control through the query string', () => {
    const q = {
      ...defaultQuery(),
      range: 'custom' as const,
      from: '2026-10-01',
      to: '2026-10-31',
      window: '12h',
      steps: ['$pageview', 'signed_up'],
      order: 'strict' as const,
      breakdown: 'source',
    };
    expect(parseQuery(toSearch(q))).toEqual(q);
  });

  it('leaves defaults out of the link and ignores junk', () => {
    expect(toSearch(defaultQuery())).toBe('');
    const q = parseQuery('?range=1y&window=forever&steps=only_one&order=sideways');
    expect(q).toEqual(defaultQuery());
  });

  it('keeps a custom range ordered and caps steps at 10', () => {
    const q = parseQuery(`?range=custom&from=2026-10-10&to=2026-10-01&steps=${Array.from({ length: 12 }, (_, i) => `e${i}`).join(',')}`);
    expect(q.to).toBe('2026-10-10');
    expect(q.steps).toHaveLength(10);
  });

  it('resolves presets to [now − days, now] and custom days to whole UTC days', () => {
    const now = Date.UTC(2026, 10, 23, 12, 0, 0);
    expect(resolveRange({ range: '7d', from: '', to: '' }, now)).toEqual({ from: '2026-11-16T12:00:00.000Z', to: '2026-11-23T12:00:00.000Z' });
    expect(resolveRange({ range: 'custom', from: '2026-10-01', to: '2026-10-02' }, now)).toEqual({
      from: '2026-10-01T00:00:00.000Z',
      to: '2026-10-02T23:59:59.999Z',
    });
  });

  it('only lets the login page send you back to a report path', () => {
    expect(safeNext('/reports/docs/?range=7d')).toBe('/reports/docs/?range=7d');
    expect(safeNext('https://evil.example/')).toBe('/reports/');
    expect(safeNext('//evil.example/reports')).toBe('/reports/');
    expect(safeNext('/reports/login/')).toBe('/reports/');
    expect(safeNext(null)).toBe('/reports/');
  });
});

describe('formatting', () => {
  it('formats percent, durations and latency', () => {
    expect(formatPercent(0.4567)).toBe('45.7%');
    expect(formatPercent(null)).toBe('—');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(720)).toBe('12 min');
    expect(formatDuration(3.5 * 3600)).toBe('3.5 h');
    expect(formatDuration(2 * 86_400)).toBe('2 d');
    expect(formatMs(87.4)).toBe('87 ms');
    expect(formatMs(1240)).toBe('1.24 s');
  });
});

describe('CSV export', () => {
  const columns = [
    { header: 'path', value: (r: { path: string; n: number | null }) => r.path },
    { header: 'n', value: (r: { path: string; n: number | null }) => r.n },
  ];

  it('quotes commas, quotes and newlines', () => {
    expect(toCsv(columns, [{ path: 'a,"b"\nc', n: 1 }])).toBe('path,n\r\n"a,""b""\nc",1\r\n');
  });

  it('neutralises spreadsheet formulas in text but keeps negative numbers', () => {
    expect(toCsv(columns, [{ path: '=HYPERLINK("x")', n: -3 }])).toBe(`path,n\r\n"'=HYPERLINK(""x"")",-3\r\n`);
    expect(toCsv(columns, [{ path: '@cmd', n: null }])).toBe("path,n\r\n'@cmd,\r\n");
  });

  it('names files after the report and day', () => {
    expect(csvFileName('Doc satisfaction!', new Date('2026-11-23T10:00:00Z'))).toBe('onramp-doc-satisfaction-2026-11-23.csv');
  });
});

describe('funnel shaping', () => {
  const steps = [
    step('signed_up', 100, { conversionFromStart: 1, conversionFromPrevious: 1, dropOff: 5, inProgress: 5 }),
    step('api_key_created', 80, {
      conversionFromStart: 0.8,
      conversionFromPrevious: 0.8,
      dropOff: 15,
      inProgress: 5,
      medianSecondsFromPrevious: 60,
      p90SecondsFromPrevious: 600,
    }),
    step('first_successful_call', 40, {
      conversionFromStart: 0.4,
      conversionFromPrevious: 0.5,
      dropOff: 30,
      inProgress: 10,
      medianSecondsFromPrevious: 3600,
      p90SecondsFromPrevious: 7200,
    }),
  ];

  it('splits each later step into reached, in progress and dropped, adding up to the previous step', () => {
    const bars = funnelBars(steps);
    expect(bars[0]).toMatchObject({ label: '1. signed_up', reached: 100, inProgress: 0, dropped: 0 });
    expect(bars[2]).toMatchObject({ label: '3. first_successful_call', reached: 40, inProgress: 10, dropped: 30 });
    for (let i = 1; i < bars.length; i += 1) {
      expect(bars[i]!.reached + bars[i]!.inProgress + bars[i]!.dropped).toBe(bars[i - 1]!.reached);
    }
  });

  it('lists times between consecutive steps', () => {
    expect(stepTimes(steps)).toEqual([
      { label: 'signed_up → api_key_created', short: '1 → 2', medianSeconds: 60, p90Seconds: 600 },
      { label: 'api_key_created → first_successful_call', short: '2 → 3', medianSeconds: 3600, p90Seconds: 7200 },
    ]);
  });

  it('detects an empty funnel', () => {
    expect(isEmptyFunnel({ steps: [step('a', 0), step('b', 0)] })).toBe(true);
    expect(isEmptyFunnel({ steps })).toBe(false);
  });

  it('shapes breakdown rows and grouped bars with safe series keys', () => {
    const breakdown = [
      { value: 'github', steps: [step('a', 10, { conversionFromStart: 1 }), step('b', 5, { conversionFromStart: 0.5 })] },
      { value: null, steps: [step('a', 4, { conversionFromStart: 1 }), step('b', 1, { conversionFromStart: 0.25 })] },
    ];
    expect(breakdownRows(breakdown)).toEqual([
      { value: 'github', counts: [10, 5], started: 10, converted: 5, conversion: 0.5 },
      { value: '(none)', counts: [4, 1], started: 4, converted: 1, conversion: 0.25 },
    ]);
    const chart = breakdownChart(breakdown);
    expect(chart.series).toEqual([
      { key: 's0', name: 'github' },
      { key: 's1', name: '(none)' },
    ]);
    expect(chart.rows[1]).toEqual({ label: '2. b', short: 'Step 2', s0: 0.5, s1: 0.25 });
  });

  it('splits a range into Monday-aligned UTC weeks clipped to the range', () => {
    // 2026-11-04 is a Wednesday.
    const weeks = weeklyRanges('2026-11-04T10:00:00.000Z', '2026-11-20T00:00:00.000Z');
    expect(weeks.map((w) => w.label)).toEqual(['2026-11-02', '2026-11-09', '2026-11-16']);
    expect(weeks[0]!.from).toBe('2026-11-04T10:00:00.000Z');
    expect(weeks[0]!.to).toBe('2026-11-08T23:59:59.999Z');
    expect(weeks[2]!.to).toBe('2026-11-20T00:00:00.000Z');
    expect(weeks.map((w) => w.partial)).toEqual([true, false, true]);
    expect(weeklyRanges('2026-11-20T00:00:00Z', '2026-11-01T00:00:00Z')).toEqual([]);
  });

  it('computes a weekly cohort row from that week’s funnel', () => {
    expect(cohortRow('2026-11-02', { steps })).toEqual({ week: '2026-11-02', partial: false, started: 100, converted: 40, inProgress: 15, conversion: 0.4 });
    expect(cohortRow('2026-11-09', { steps: [step('a', 0), step('b', 0)] }).conversion).toBeNull();
  });

  it('turns a flag into a callout whose last pages link to their doc satisfaction row', () => {
    const q = { ...defaultQuery(), range: '7d' as const };
    const callout = flagCallout(
      {
        step: 2,
        event: 'first_successful_call',
        kind: 'significant_drop',
        severity: 'high',
        message: 'Conversion to first success fell',
        evidence: {
          previousRate: 0.7,
          currentRate: 0.45,
          p: 0.0004,
          topErrors: [{ code: 'invalid_api_key', count: 12, persons: 7 }],
          lastPages: [{ path: '/docs/authentication/', count: 9, helpfulRate: 0.3 }],
        },
      },
      steps,
      q,
    );
    expect(callout.title).toBe('Significant drop');
    expect(callout.severity).toBe('high');
    expect(callout.transition).toBe('2. api_key_created → 3. first_successful_call');
    expect(callout.rateChange).toBe('Conversion 70.0% in the previous period → 45.0% now: very unlikely to be chance (p < 0.001)');
    expect(
      flagCallout(
        {
          step: 1,
          event: 'b',
          kind: 'slowest_step',
          severity: 'low',
          message: 'slow',
          evidence: { previousRate: 0.5, currentRate: 0.4, p: 0.2, topErrors: [], lastPages: [] },
        },
        steps,
        q,
      ).rateChange,
    ).toBeNull();
    expect(
      flagCallout(
        {
          step: 1,
          event: 'b',
          kind: 'low_conversion',
          severity: 'medium',
          message: 'low',
          evidence: { previousRate: null, currentRate: 0.1, p: null, topErrors: [], lastPages: [] },
        },
        steps,
        q,
      ).rateChange,
    ).toBe('Conversion 10.0%');
    expect(callout.lastPages[0]!.href).toBe('/reports/docs/?range=7d&page=%2Fdocs%2Fauthentication%2F');
    expect(callout.topErrors[0]!.label).toBe('12 failed calls by 7 developers');
    // Evidence once per step: a second flag on the same step points up to the first.
    const slow = { ...callout, key: 'slowest_step-2', title: 'Slowest step' };
    const other = { ...callout, key: 'low_conversion-1', step: 1 };
    expect(withEvidenceOnce([callout, slow, other]).map((c) => c.evidenceAbove)).toEqual([false, true, false]);
    expect(docsRowHref('/docs/a/', defaultQuery())).toBe('/reports/docs/?page=%2Fdocs%2Fa%2F');
  });
});

describe('TTFSI shaping', () => {
  it('starts the survival curve at (0, 1) and sorts points', () => {
    expect(
      survivalCurve({
        median: 7200,
        points: [
          { seconds: 7200, survival: 0.5 },
          { seconds: 3600, survival: 0.8 },
        ],
      }),
    ).toEqual([
      { seconds: 0, hours: 0, minutes: 1, survival: 1 },
      { seconds: 3600, hours: 1, minutes: 60, survival: 0.8 },
      { seconds: 7200, hours: 2, minutes: 120, survival: 0.5 },
    ]);
  });

  it('picks log-axis ticks up to the first one past the data', () => {
    expect(logTimeTicks(45)).toEqual([1, 10, 60]);
    expect(logTimeTicks(2000)).toEqual([1, 10, 60, 600, 1440, 10_080]);
  });

  it('labels histogram bins and computes cohort completion', () => {
    expect(histogramRows([{ fromSeconds: 0, toSeconds: 3600, count: 3 }])[0]!.label).toBe('0 s–1 h');
    expect(
      ttfsiCohorts([
        { week: '2026-11-09', started: 10, completed: 4, p50: 5400 },
        { week: '2026-11-02', started: 0, completed: 0, p50: null },
      ]),
    ).toEqual([
      { week: '2026-11-02', started: 0, completed: 0, completion: null, p50: null, p50Hours: null },
      { week: '2026-11-09', started: 10, completed: 4, completion: 0.4, p50: 5400, p50Hours: 1.5 },
    ]);
  });
});

describe('doc satisfaction shaping', () => {
  const pages = [
    page('/docs/good/', { helpful: 40, notHelpful: 2, helpfulRate: 0.95, wilsonLower: 0.84, views: 300 }),
    page('/docs/unrated/', { views: 900 }),
    page('/docs/bad/', { helpful: 3, notHelpful: 17, helpfulRate: 0.15, wilsonLower: 0.05, flagged: true, views: 200 }),
    page('/docs/meh/', { helpful: 5, notHelpful: 5, helpfulRate: 0.5, wilsonLower: 0.24, views: 50 }),
  ];

  it('puts the worst Wilson lower bound first and unrated pages last', () => {
    expect(worstFirst(pages).map((p) => p.path)).toEqual(['/docs/bad/', '/docs/meh/', '/docs/good/', '/docs/unrated/']);
  });

  it('keeps unrated pages last in either direction', () => {
    expect(sortPages(pages, 'helpfulRate', 'desc').map((p) => p.path)).toEqual(['/docs/good/', '/docs/meh/', '/docs/bad/', '/docs/unrated/']);
    expect(sortPages(pages, 'views', 'desc')[0]!.path).toBe('/docs/unrated/');
    expect(sortPages(pages, 'votes', 'desc').map((p) => p.path)).toEqual(['/docs/good/', '/docs/bad/', '/docs/meh/', '/docs/unrated/']);
  });

  it('filters by path text, flag and minimum votes', () => {
    expect(filterPages(pages, { text: 'BA', flaggedOnly: false, minVotes: 0 }).map((p) => p.path)).toEqual(['/docs/bad/']);
    expect(filterPages(pages, { text: '', flaggedOnly: true, minVotes: 0 })).toHaveLength(1);
    expect(filterPages(pages, { text: '', flaggedOnly: false, minVotes: 15 }).map((p) => p.path)).toEqual(['/docs/good/', '/docs/bad/']);
  });

  it('orders reasons by count with shares, and comments newest first', () => {
    expect(reasonRows({ missing_info: 2, code_didnt_work: 6, hard_to_follow: 0 })).toEqual([
      { reason: "The code didn't work", count: 6, share: 0.75 },
      { reason: 'missing_info', count: 2, share: 0.25 },
    ]);
    const sorted = commentsNewestFirst([
      { text: 'old', timestamp: '2026-11-01T00:00:00Z', helpful: false },
      { text: 'bad time', timestamp: 'nope', helpful: null },
      { text: 'new', timestamp: '2026-11-20T00:00:00Z', helpful: true },
    ]);
    expect(sorted.map((c) => c.text)).toEqual(['new', 'old', 'bad time']);
  });

  it('reads the sort from the URL with worst-first as default', () => {
    expect(parseDocSort(null, null)).toEqual({ key: 'wilsonLower', direction: 'asc' });
    expect(parseDocSort('views', null)).toEqual({ key: 'views', direction: 'desc' });
    expect(parseDocSort('drop table', 'up')).toEqual({ key: 'wilsonLower', direction: 'asc' });
  });
});

describe('API health shaping', () => {
  const endpoints = [
    {
      endpoint: 'GET /sandbox/v1/messages/:id',
      calls: 50,
      errorRate: 0.1,
      p50Ms: 10,
      p95Ms: 30,
      p99Ms: 50,
      topErrors: [{ code: 'resource_missing', count: 5 }],
    },
    {
      endpoint: 'POST /sandbox/v1/messages',
      calls: 200,
      errorRate: 0.2345,
      p50Ms: 20,
      p95Ms: 60,
      p99Ms: 90,
      topErrors: [
        { code: 'invalid_api_key', count: 30 },
        { code: 'resource_missing', count: 1 },
      ],
    },
    { endpoint: 'GET /never', calls: 0, errorRate: 0, p50Ms: null, p95Ms: null, p99Ms: null, topErrors: [] },
  ];

  it('sums error codes across endpoints', () => {
    expect(combinedTopErrors(endpoints)).toEqual([
      { code: 'invalid_api_key', count: 30 },
      { code: 'resource_missing', count: 6 },
    ]);
  });

  it('orders endpoints by calls and skips ones without latency', () => {
    expect(latencyRows(endpoints).map((r) => r.endpoint)).toEqual(['POST /sandbox/v1/messages', 'GET /sandbox/v1/messages/:id']);
    expect(shortEndpoint('/sandbox/v1/messages/:id')).toBe('/messages/:id');
    expect(shortEndpoint('/other/sandbox/v1/x')).toBe('/other/sandbox/v1/x');
    expect(errorRateRows(endpoints)[0]).toEqual({ endpoint: 'POST /sandbox/v1/messages', errorPercent: 23.5, calls: 200 });
  });
});

describe('live events shaping', () => {
  it('summarises api calls and pages, and drops SDK bookkeeping from properties', () => {
    const rows = eventRows([
      {
        uuid: 'u1',
        event: 'api_call',
        distinctId: 'd',
        personId: 'p',
        personEmail: null,
        timestamp: 't',
        properties: { method: 'POST', endpoint: '/sandbox/v1/messages', status: 401, error_code: 'invalid_api_key', $lib: 'posthog-node' },
      },
    ]);
    expect(rows[0]!.context).toBe('POST /sandbox/v1/messages → 401 invalid_api_key');
    expect(JSON.parse(rows[0]!.properties)).not.toHaveProperty('$lib');
    expect(eventContext({ event: '$pageview', properties: { $pathname: '/docs/' } })).toBe('/docs/');
  });

  it('builds the events query without empty filters', () => {
    expect(eventsQuery({ event: ' ', distinctId: 'dev-1', limit: 50 })).toEqual({ limit: '50', distinct_id: 'dev-1' });
  });
});
