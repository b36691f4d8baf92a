import { z } from 'zod';
import { invalid } from '../errors.ts';

import { DEFAULT_MIN_CONVERSION, DEFAULT_RANGE_DAYS, DEFAULT_STEPS, DEFAULT_WINDOW, FIRST_SUCCESSFUL_CALL, MAX_EVENT_NAME, TEXT_CAPS } from './contract.ts';

export { DEFAULT_MIN_CONVERSION, DEFAULT_RANGE_DAYS, DEFAULT_STEPS, DEFAULT_WINDOW, FIRST_SUCCESSFUL_CALL, MAX_EVENT_NAME };

export const DAY_MS = 86_400_000;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS, mo: 30 * DAY_MS };
/** Longest conversion window accepted: a year, like PostHog's largest practical setting. */
export const MAX_WINDOW_MS = 365 * DAY_MS;

/** Parses `30m`, `12h`, `14d`, `2w`, `1mo` (month = 30 days) into milliseconds; undefined when malformed. */
export function parseWindow(text: string): number | undefined {
  const match = /^(\d{1,6})(s|m|h|d|w|mo)$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  return ms > 0 && ms <= MAX_WINDOW_MS ? ms : undefined;
}

/** Latest accepted instant: 9999-12-31T23:59:59.999Z, so every time stays printable as ISO 8601. */
const MAX_INSTANT = 253_402_300_799_999;
const toMs = (v: string) => (/^\d+$/.test(v) ? Number(v) : Date.parse(v));

/** ISO 8601 time or epoch milliseconds → epoch ms, between 1970 and 9999. */
const instant = z
  .string()
  .trim()
  .refine((v) => Number.isFinite(toMs(v)), 'must be an ISO 8601 time (or epoch milliseconds)')
  .refine((v) => !(toMs(v) < 0 || toMs(v) > MAX_INSTANT), 'must be between 1970 and 9999')
  .transform(toMs);

export const eventName = z.string().trim().min(1, 'must not be empty').max(MAX_EVENT_NAME, `must be at most ${MAX_EVENT_NAME} characters`);

/** `from` / `to` shared by every report. Defaults: the 30 days ending now. */
export const rangeShape = {
  from: instant.optional().describe('Start of the range, inclusive (ISO 8601 or epoch ms). Default: `to` − 30 days.'),
  to: instant.optional().describe('End of the range, inclusive (ISO 8601 or epoch ms). Default: now.'),
};

export interface Range {
  from: number;
  to: number;
}

export function resolveRange(q: { from?: number | undefined; to?: number | undefined }, now: number): Range {
  const to = q.to ?? now;
  const from = q.from ?? to - DEFAULT_RANGE_DAYS * DAY_MS;
  return { from, to };
}

/** Query parameters of `GET /api/v1/reports/ttfsi`. */
export const ttfsiQuery = z.object({
  ...rangeShape,
  start: eventName.optional().describe('Start event. Default signed_up.'),
  end: eventName.optional().describe('End event. Default first_successful_call.'),
});

/** Query parameters of `GET /api/v1/reports/docs` and `/api-health`. */
export const rangeQuery = z.object(rangeShape);

/** Query parameters of `GET /api/v1/reports/docs/trend`: the range and the page. */
export const docTrendQuery = z.object({
  ...rangeShape,
  path: z
    .string({ error: 'is required: the page path, e.g. /docs/authentication/' })
    .min(1, 'must not be empty')
    .max(TEXT_CAPS.path, `must be at most ${TEXT_CAPS.path} characters`),
});

export interface DocTrendParams extends Range {
  path: string;
}

export interface TtfsiParams extends Range {
  start: string;
  end: string;
}

export type Query = Record<string, string | undefined>;

export function parse<S extends z.ZodType>(schema: S, query: Query): z.output<S> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) invalid(parsed.error.issues);
  return parsed.data;
}

export function checkRange(range: Range): Range {
  if (range.from > range.to) invalid([{ path: ['from'], message: 'must not be after to' }]);
  return range;
}

/** Validates TTFSI query parameters and applies the defaults. */
export function parseTtfsiParams(query: Query, now = Date.now()): TtfsiParams {
  const q = parse(ttfsiQuery, query);
  return { ...checkRange(resolveRange(q, now)), start: q.start ?? 'signed_up', end: q.end ?? FIRST_SUCCESSFUL_CALL };
}

/** Validates `from` / `to` only. */
export function parseRangeParams(query: Query, now = Date.now()): Range {
  return checkRange(resolveRange(parse(rangeQuery, query), now));
}

export type { FunnelParams } from './funnel-params.ts';

/** Validates the docs trend parameters (`path` is required). */
export function parseDocTrendParams(query: Query, now = Date.now()): DocTrendParams {
  const q = parse(docTrendQuery, query);
  return { ...checkRange(resolveRange(q, now)), path: q.path };
}
