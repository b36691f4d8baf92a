/**
 * Query parameters of `GET /api/v1/reports/api-health/series`: the shared `from` / `to`, `interval` (minute, hour
 * or day; default the finest giving at most {@link DEFAULT_MAX_POINTS} points) and an optional `endpoint`.
 */
import { z } from 'zod';
import { invalid } from '../../errors.ts';
import { TEXT_CAPS } from '../contract.ts';
import { DAY_MS, parseRangeParams, type Range, rangeShape } from '../params.ts';
import { HOUR_MS, MINUTE_MS } from './rollup-writes.ts';

export const SERIES_INTERVALS = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS } as const;
export type SeriesInterval = keyof typeof SERIES_INTERVALS;
/** Most points the default interval may give. */
export const DEFAULT_MAX_POINTS = 1_000;
/** Most points any request may ask for (a year of hours is 8,760). */
export const MAX_POINTS = 10_000;

export const seriesQuery = z.object({
  ...rangeShape,
  interval: z
    .enum(['minute', 'hour', 'day'], { error: 'must be one of minute, hour, day' })
    .optional()
    .describe(`Bucket width. Default: the finest giving at most ${DEFAULT_MAX_POINTS} points.`),
  endpoint: z
    .string()
    .min(1, 'must not be empty')
    .max(TEXT_CAPS.path, `must be at most ${TEXT_CAPS.path} characters`)
    .optional()
    .describe('Only calls to this endpoint, as API health lists it. Default: every endpoint.'),
});

export interface SeriesParams extends Range {
  interval: SeriesInterval;
  endpoint: string | undefined;
  /** The request named no interval: a coarser one may be used where minute rows are no longer kept. */
  defaultInterval?: boolean;
}

/** Points `[from, to]` spans at `width`: one per bucket it touches. */
export function pointCount(range: Range, width: number): number {
  return Math.floor(range.to / width) - Math.floor(range.from / width) + 1;
}

/** Validates the series query (400 naming the parameter) and applies the defaults. */
export function parseSeriesParams(query: Record<string, string | undefined>, now = Date.now()): SeriesParams {
  const parsed = seriesQuery.safeParse(query);
  if (!parsed.success) invalid(parsed.error.issues);
  const range = parseRangeParams({ from: query.from, to: query.to }, now);
  const interval =
    parsed.data.interval ??
    (Object.keys(SERIES_INTERVALS) as SeriesInterval[]).find((name) => pointCount(range, SERIES_INTERVALS[name]) <= DEFAULT_MAX_POINTS) ??
    'day';
  if (pointCount(range, SERIES_INTERVALS[interval]) > MAX_POINTS) {
    invalid([{ path: ['interval'], message: `gives more than ${MAX_POINTS} points for this range; use a coarser interval or a shorter range` }]);
  }
  return { ...range, interval, endpoint: parsed.data.endpoint, defaultInterval: parsed.data.interval === undefined };
}
