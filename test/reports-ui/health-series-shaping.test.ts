/** Pure shaping of API health over time and of availability for the API health page. */
import { describe, expect, it } from 'vitest';
import { budgetText, formatAvailability, formatNines } from '../../site/components/reports/availability-shape.ts';
import {
  type ApiHealthSeries,
  chartInterval,
  errorRateBetween,
  isEmptySeries,
  pointLabel,
  type SeriesPoint,
  seriesRows,
} from '../../site/components/reports/series-shape.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function point(start: string, calls: number, errors: number, extra: Partial<SeriesPoint> = {}): SeriesPoint {
  return {
    start,
    calls,
    errors,
    errorRate: calls === 0 ? null : errors / calls,
    p50Ms: calls === 0 ? null : 40.4,
    p95Ms: calls === 0 ? null : 120.6,
    p99Ms: calls === 0 ? null : 300,
    byStatusClass: { '2xx': calls - errors, '3xx': 0, '4xx': errors, '429': 0, '5xx': 0 },
    ...extra,
  };
}

describe('chartInterval', () => {
  const range = (ms: number) => ({ from: new Date(0).toISOString(), to: new Date(ms).toISOString() });
  it('picks minutes for a few hours, hours for a few days, days beyond', () => {
    expect(chartInterval(range(HOUR))).toBe('minute');
    expect(chartInterval(range(6 * HOUR))).toBe('minute');
    expect(chartInterval(range(6 * HOUR + 1))).toBe('hour');
    expect(chartInterval(range(3 * DAY))).toBe('hour');
    expect(chartInterval(range(7 * DAY))).toBe('day');
    expect(chartInterval(range(30 * DAY))).toBe('day');
  });
});

describe('seriesRows', () => {
  it('labels points in UTC, flattens the status classes and rounds rates and latencies', () => {
    const series: ApiHealthSeries = {
      interval: 'hour',
      points: [point('2026-12-01T13:00:00.000Z', 8, 1), point('2026-12-01T14:00:00.000Z', 0, 0)],
    };
    const [busy, quiet] = seriesRows(series);
    expect(busy).toMatchObject({ label: 'Dec 1 13:00', calls: 8, '2xx': 7, '4xx': 1, '5xx': 0, errorPercent: 12.5, p50: 40, p95: 121, p99: 300 });
    // A point without calls keeps its place on the axis but has no rate: the line breaks instead of reading 0%.
    expect(quiet).toMatchObject({ label: 'Dec 1 14:00', calls: 0, errorPercent: null, p50: null, p95: null, p99: null });
  });

  it('labels days without a time', () => {
    expect(pointLabel('2026-01-09T00:00:00.000Z', 'day')).toBe('Jan 9');
    expect(pointLabel('2026-01-09T00:05:00.000Z', 'minute')).toBe('Jan 9 00:05');
  });
});

describe('isEmptySeries', () => {
  it('is empty only when no point has a call', () => {
    expect(isEmptySeries({ points: [point('2026-12-01T00:00:00.000Z', 0, 0)] })).toBe(true);
    expect(isEmptySeries({ points: [] })).toBe(true);
    expect(isEmptySeries({ points: [point('2026-12-01T00:00:00.000Z', 0, 0), point('2026-12-02T00:00:00.000Z', 1, 0)] })).toBe(false);
  });
});

describe('errorRateBetween', () => {
  const points = [
    point('2026-12-01T00:00:00.000Z', 100, 5),
    point('2026-12-02T00:00:00.000Z', 1, 1),
    point('2026-12-03T00:00:00.000Z', 0, 0),
    point('2026-12-04T00:00:00.000Z', 50, 20),
  ];
  it('weighs each point by its calls over a half-open window', () => {
    const from = Date.parse('2026-12-01T00:00:00.000Z');
    expect(errorRateBetween(points, from, Date.parse('2026-12-03T00:00:00.000Z'))).toBeCloseTo(6 / 101);
    expect(errorRateBetween(points, Date.parse('2026-12-03T00:00:00.000Z'), Number.POSITIVE_INFINITY)).toBeCloseTo(20 / 50);
  });
  it('is null without calls in the window', () => {
    expect(errorRateBetween(points, Date.parse('2026-12-03T00:00:00.000Z'), Date.parse('2026-12-04T00:00:00.000Z'))).toBeNull();
  });
});

describe('availability', () => {
  it('shows as many decimals as the nines need and never rounds a failure up to 100%', () => {
    expect(formatAvailability(null)).toBe('—');
    expect(formatAvailability(1)).toBe('100%');
    expect(formatAvailability(0.999)).toBe('99.9%');
    expect(formatAvailability(0.9995)).toBe('99.95%');
    expect(formatAvailability(0.99999)).toBe('99.999%');
    expect(formatAvailability(0.999999999)).toBe('99.9999%');
    expect(formatAvailability(0.5)).toBe('50.0%');
  });
  it('writes the nines, capped at six', () => {
    expect(formatNines(null)).toBe('—');
    expect(formatNines(3.3)).toBe('3.3 nines');
    expect(formatNines(6)).toBe('6+ nines');
  });
  it('reports the budget left and whether it is overspent', () => {
    expect(budgetText({ target: 0.999, errorBudgetRemaining: 0.82 })).toEqual({ target: '99.9%', remaining: '82%', overspent: false });
    expect(budgetText({ target: 0.999, errorBudgetRemaining: -1.5 })).toEqual({ target: '99.9%', remaining: '-150%', overspent: true });
    expect(budgetText({ target: 0.9995, errorBudgetRemaining: null })).toEqual({ target: '99.95%', remaining: '—', overspent: false });
  });
});
