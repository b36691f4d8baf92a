import { z } from 'zod';
import { invalid } from '../errors.ts';
import { DEFAULT_MIN_CONVERSION, DEFAULT_RANGE_DAYS, DEFAULT_STEPS, DEFAULT_WINDOW, FIRST_SUCCESSFUL_CALL, MAX_EVENT_NAME } from './contract.ts';
import { CATALOG_DEFAULT_DAYS, CATALOG_MAX_DAYS } from './person-contract.ts';

export { DEFAULT_MIN_CONVERSION, DEFAULT_RANGE_DAYS, DEFAULT_STEPS, DEFAULT_WINDOW, FIRST_SUCCESSFUL_CALL, MAX_EVENT_NAME };

const DAY_MS = 86_400_000;
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

const eventName = z.string().trim().min(1, 'must not be empty').max(MAX_EVENT_NAME, `must be at most ${MAX_EVENT_NAME} characters`);

/** `from` / `to` shared by every report. Defaults: the 30 days ending now. */
export const rangeShape = {
  from: instant.optional().describe('Start of the range, inclusive (ISO 8601 or epoch ms). Default: `to` − 30 days.'),
  to: instant.optional().describe('End of the range, inclusive (ISO 8601 or epoch ms). Default: now.'),
};

export interface Range {
  from: number;
  to: number;
}

function resolveRange(q: { from?: number | undefined; to?: number | undefined }, now: number): Range {
  const to = q.to ?? now;
  const from = q.from ?? to - DEFAULT_RANGE_DAYS * DAY_MS;
  return { from, to };
}

const stepsList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()))
  .pipe(z.array(eventName).min(2, 'must list at least 2 steps').max(10, 'must list at most 10 steps'));

/** Query parameters of `GET /api/v1/reports/funnel`. */
export const funnelQuery = z.object({
  ...rangeShape,
  steps: stepsList
    .optional()
    .describe('Comma-separated event names, 2–10. `first_successful_call` is the virtual step. Default: signed_up,api_key_created,first_successful_call.'),
  window: z
    .string()
    .refine((v) => parseWindow(v) !== undefined, 'must be a number followed by s, m, h, d, w or mo (e.g. 30m, 12h, 14d), at most 365 days')
    .optional()
    .describe('Conversion window from the step-1 event, e.g. 30m, 12h, 14d, 2w, 1mo (30 days). Default 14d.'),
  order: z
    .enum(['ordered', 'strict', 'any'], { error: 'must be one of ordered, strict, any' })
    .optional()
    .describe(
      'ordered (default): other events may happen between steps; strict: any other event of the person between steps breaks the attempt; any: steps in any order.',
    ),
  breakdown: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    .regex(/^[^"\\\u0000-\u001f]+$/, 'must not contain quotes, backslashes or control characters')
    .optional()
    .describe('Event property of the step-1 event (first touch) to break down by. Top 25 values, the rest as "Other".'),
  minConversion: z.coerce
    .number({ error: 'must be a number between 0 and 1' })
    .min(0, 'must be between 0 and 1')
    .max(1, 'must be between 0 and 1')
    .optional()
    .describe(`low_conversion flag threshold on conversionFromPrevious. Default ${DEFAULT_MIN_CONVERSION}.`),
});

/** Query parameters of `GET /api/v1/reports/ttfsi`. */
export const ttfsiQuery = z.object({
  ...rangeShape,
  start: eventName.optional().describe('Start event. Default signed_up.'),
  end: eventName.optional().describe('End event. Default first_successful_call.'),
});

/** Query parameters of `GET /api/v1/reports/docs` and `/api-health`. */
export const rangeQuery = z.object(rangeShape);

export interface FunnelParams extends Range {
  steps: string[];
  windowMs: number;
  window: string;
  order: 'ordered' | 'strict' | 'any';
  breakdown: string | undefined;
  minConversion: number;
}

export interface TtfsiParams extends Range {
  start: string;
  end: string;
}

type Query = Record<string, string | undefined>;

function parse<S extends z.ZodType>(schema: S, query: Query): z.output<S> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) invalid(parsed.error.issues);
  return parsed.data;
}

function checkRange(range: Range): Range {
  if (range.from > range.to) invalid([{ path: ['from'], message: 'must not be after to' }]);
  return range;
}

/** Validates funnel query parameters (400 naming the parameter) and applies the defaults. */
export function parseFunnelParams(query: Query, now = Date.now()): FunnelParams {
  const q = parse(funnelQuery, query);
  const window = q.window?.trim() ?? DEFAULT_WINDOW;
  return {
    ...checkRange(resolveRange(q, now)),
    steps: q.steps ?? [...DEFAULT_STEPS],
    window,
    windowMs: parseWindow(window)!,
    order: q.order ?? 'ordered',
    breakdown: q.breakdown,
    minConversion: q.minConversion ?? DEFAULT_MIN_CONVERSION,
  };
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

/** Query parameters of `GET /api/v1/reports/catalog`. */
export const catalogQuery = z.object({
  days: z.coerce
    .number({ error: `must be a whole number of days between 1 and ${CATALOG_MAX_DAYS}` })
    .int(`must be a whole number of days between 1 and ${CATALOG_MAX_DAYS}`)
    .min(1, `must be between 1 and ${CATALOG_MAX_DAYS}`)
    .max(CATALOG_MAX_DAYS, `must be between 1 and ${CATALOG_MAX_DAYS}`)
    .optional()
    .describe(`Days to look back from now. Default ${CATALOG_DEFAULT_DAYS}.`),
});

/** Validates `days` and turns it into the range ending now. */
export function parseCatalogParams(query: Query, now = Date.now()): Range {
  const days = parse(catalogQuery, query).days ?? CATALOG_DEFAULT_DAYS;
  return { from: now - days * DAY_MS, to: now };
}

/** Query parameters of `GET /api/v1/reports/person`. */
export const personQuery = z.object({
  id: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required')
    .max(100, 'must be at most 100 characters')
    .describe('The person id (`personId` in the events listing and the persons lists).'),
});

/** Validates `id` of the person route. */
export function parsePersonParams(query: Query): string {
  return parse(personQuery, query).id;
}
