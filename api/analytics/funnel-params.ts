/**
 * Query parameters of the funnel routes (`/funnel`, `/funnel/persons`, `/funnel/trend`, `/funnel/time-to-convert`):
 * zod schemas (which also feed the OpenAPI document) and their resolution into {@link FunnelParams}. Checks that
 * need several parameters at once (exclusions against the steps, the attribution step) are 400s naming the
 * parameter, as the single-field ones are.
 */
import { z } from 'zod';
import { invalid } from '../errors.ts';
import {
  type BreakdownAttribution,
  DEFAULT_BREAKDOWN_LIMIT,
  DEFAULT_MIN_CONVERSION,
  DEFAULT_PERSONS_LIMIT,
  DEFAULT_STEPS,
  DEFAULT_TIME_TO_CONVERT_BINS,
  DEFAULT_WINDOW,
  type FunnelExclusion,
  type FunnelOrder,
  type FunnelPersonStatus,
  MAX_BREAKDOWN_LIMIT,
  MAX_PERSONS_LIMIT,
  MAX_TIME_TO_CONVERT_BINS,
  type PropertyFilter,
  TREND_DAILY_MAX_DAYS,
} from './contract.ts';
import { checkRange, DAY_MS, eventName, parse, parseWindow, type Query, type Range, rangeShape, resolveRange } from './params.ts';
import { exclusionSchema, jsonParam, propertyFiltersSchema, stepInputSchema } from './property-filter-schema.ts';

/** `steps`: the comma form (event names) or a JSON array of names and step objects. */
const stepsParam = z.string().transform((text, ctx) => {
  const json = text.trimStart().startsWith('[');
  const parsed = json
    ? jsonParam(z.array(stepInputSchema).min(2, 'must list at least 2 steps').max(10, 'must list at most 10 steps')).safeParse(text)
    : z
        .array(eventName)
        .min(2, 'must list at least 2 steps')
        .max(10, 'must list at most 10 steps')
        .safeParse(text.split(',').map((s) => s.trim()));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    return z.NEVER;
  }
  return parsed.data.map((step) =>
    typeof step === 'string'
      ? { event: step, name: step, properties: [] }
      : { event: step.event, name: step.name ?? step.event, properties: step.properties ?? [] },
  );
});

const count = (min: number, max: number) =>
  z.coerce
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/** Query parameters of `GET /api/v1/reports/funnel` (and the base of the other funnel routes). */
export const funnelQuery = z.object({
  ...rangeShape,
  steps: stepsParam
    .optional()
    .describe(
      'Comma-separated event names, or a URL-encoded JSON array whose items are event names or {"event", "name"?, "properties"?: PropertyFilter[]}; 2–10 steps. `first_successful_call` is the virtual step. Default: signed_up,api_key_created,first_successful_call.',
    ),
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
  properties: jsonParam(propertyFiltersSchema).optional().describe('URL-encoded JSON PropertyFilter[] every step event (and exclusion event) must pass.'),
  filterTestAccounts: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .describe('true: every counted event and its person must also pass ONRAMP_TEST_ACCOUNT_FILTERS ("filter out internal and test users").'),
  exclusions: jsonParam(z.array(exclusionSchema).max(10, 'must list at most 10 exclusions'))
    .optional()
    .describe(
      'URL-encoded JSON array of {"event", "properties"?, "fromStep", "toStep"} (0-based): an attempt in which the event happens after its fromStep event and before its toStep event, inside the window, is excluded.',
    ),
  breakdown: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    .regex(/^[^"\\\u0000-\u001f]+$/, 'must not contain quotes, backslashes or control characters')
    .optional()
    .describe('Event property to break down by; the person\'s value is chosen by breakdownAttribution. Top breakdownLimit values, the rest as "Other".'),
  breakdownAttribution: z
    .enum(['first_touch', 'last_touch', 'step'], { error: 'must be one of first_touch, last_touch, step' })
    .optional()
    .describe(
      "first_touch (default): earliest non-empty value among the person's step events; last_touch: the latest; step: each value seen on the person's step-breakdownAttributionStep events, the funnel evaluated once per value.",
    ),
  breakdownAttributionStep: count(0, 9).optional().describe('0-based step for breakdownAttribution=step (any-order funnels: only 0).'),
  breakdownLimit: count(1, MAX_BREAKDOWN_LIMIT)
    .optional()
    .describe(`Breakdown values shown by name, 1–${MAX_BREAKDOWN_LIMIT}. Default ${DEFAULT_BREAKDOWN_LIMIT}.`),
  minConversion: z.coerce
    .number({ error: 'must be a number between 0 and 1' })
    .min(0, 'must be between 0 and 1')
    .max(1, 'must be between 0 and 1')
    .optional()
    .describe(`low_conversion flag threshold on conversionFromPrevious. Default ${DEFAULT_MIN_CONVERSION}.`),
});

/** `GET /api/v1/reports/funnel/persons`. */
export const funnelPersonsQuery = funnelQuery.extend({
  step: count(0, 9).optional().describe('0-based step. Default 0.'),
  status: z
    .enum(['reached', 'dropped', 'inProgress'], { error: 'must be one of reached, dropped, inProgress' })
    .optional()
    .describe('reached (default): deepest step is `step` or later; dropped / inProgress: reached step − 1 and not `step`, split as the report splits them.'),
  limit: count(1, MAX_PERSONS_LIMIT).optional().describe(`Persons per page, 1–${MAX_PERSONS_LIMIT}. Default ${DEFAULT_PERSONS_LIMIT}.`),
  offset: count(0, 1_000_000_000).optional().describe('Persons to skip. Default 0.'),
});

/** `GET /api/v1/reports/funnel/trend`. */
export const funnelTrendQuery = funnelQuery.extend({
  interval: z
    .enum(['day', 'week'], { error: 'must be day or week' })
    .optional()
    .describe(`UTC days or ISO weeks (from Monday). Default day up to ${TREND_DAILY_MAX_DAYS} days of range, else week.`),
});

/** `GET /api/v1/reports/funnel/time-to-convert`. */
export const funnelTimeToConvertQuery = funnelQuery.extend({
  fromStep: count(0, 9).optional().describe('0-based start step. Default 0.'),
  toStep: count(1, 9).optional().describe('0-based end step, after fromStep. Default the last step.'),
  bins: count(1, MAX_TIME_TO_CONVERT_BINS).optional().describe(`Histogram bins, 1–${MAX_TIME_TO_CONVERT_BINS}. Default ${DEFAULT_TIME_TO_CONVERT_BINS}.`),
});

/** A funnel's definition and range, resolved with its defaults; what every funnel route computes from. */
export interface FunnelParams extends Range {
  /** Event names of the steps. */
  steps: string[];
  /** Display names of the steps (default: the event names). */
  stepNames?: string[] | undefined;
  /** Property filters of each step, aligned with `steps` (default: none). */
  stepFilters?: PropertyFilter[][] | undefined;
  /** Filters every step and exclusion event (and its person) must pass: `properties` and, when asked, the test-account filters. */
  globalFilters?: PropertyFilter[] | undefined;
  exclusions?: FunnelExclusion[] | undefined;
  windowMs: number;
  window: string;
  order: FunnelOrder;
  breakdown: string | undefined;
  breakdownAttribution?: BreakdownAttribution | undefined;
  breakdownAttributionStep?: number | undefined;
  breakdownLimit?: number | undefined;
  minConversion: number;
}

export interface FunnelPersonsParams extends FunnelParams {
  step: number;
  status: FunnelPersonStatus;
  limit: number;
  offset: number;
}

export interface FunnelTrendParams extends FunnelParams {
  interval: 'day' | 'week';
}

export interface FunnelTimeToConvertParams extends FunnelParams {
  fromStep: number;
  toStep: number;
  bins: number;
}

/** What the funnel parameters read from the server's configuration. */
export interface FunnelSettings {
  /** `ONRAMP_TEST_ACCOUNT_FILTERS`, applied when `filterTestAccounts=true`. */
  testAccountFilters?: PropertyFilter[] | undefined;
}

const sameFilters = (a: PropertyFilter[] | undefined, b: PropertyFilter[] | undefined) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

/** The checks PostHog makes on exclusions (400 naming `exclusions`). */
function checkExclusions(exclusions: FunnelExclusion[], steps: Array<{ event: string; properties: PropertyFilter[] }>, order: FunnelOrder): void {
  exclusions.forEach((x, i) => {
    const fail = (field: string, message: string) => invalid([{ path: ['exclusions', i, field], message }]);
    if (x.toStep > steps.length - 1) fail('toStep', `must be at most ${steps.length - 1} (the last step)`);
    if (steps.some((s) => s.event === x.event && sameFilters(s.properties, x.properties)))
      fail('event', 'must not be one of the funnel steps (with the same filters)');
    if (order === 'any' && (x.fromStep !== 0 || x.toStep !== steps.length - 1)) {
      fail('fromStep', `an any-order funnel's exclusions must span the whole funnel (fromStep 0, toStep ${steps.length - 1})`);
    }
  });
}

function resolveFunnel(q: z.output<typeof funnelQuery>, now: number, settings: FunnelSettings): FunnelParams {
  const window = q.window?.trim() ?? DEFAULT_WINDOW;
  const steps = q.steps ?? DEFAULT_STEPS.map((event) => ({ event, name: event, properties: [] as PropertyFilter[] }));
  const order = q.order ?? 'ordered';
  const exclusions = q.exclusions ?? [];
  checkExclusions(exclusions, steps, order);
  const attribution = q.breakdownAttribution ?? 'first_touch';
  if (attribution === 'step') {
    const k = q.breakdownAttributionStep;
    if (k === undefined) invalid([{ path: ['breakdownAttributionStep'], message: 'is required when breakdownAttribution is step' }]);
    if (k > steps.length - 1) invalid([{ path: ['breakdownAttributionStep'], message: `must be at most ${steps.length - 1} (the last step)` }]);
    if (order === 'any' && k !== 0) invalid([{ path: ['breakdownAttributionStep'], message: 'must be 0 in an any-order funnel' }]);
  }
  const globalFilters = [...(q.properties ?? []), ...(q.filterTestAccounts === 'true' ? (settings.testAccountFilters ?? []) : [])];
  return {
    ...checkRange(resolveRange(q, now)),
    steps: steps.map((s) => s.event),
    stepNames: steps.map((s) => s.name),
    stepFilters: steps.map((s) => s.properties),
    globalFilters,
    exclusions,
    window,
    windowMs: parseWindow(window)!,
    order,
    breakdown: q.breakdown,
    breakdownAttribution: attribution,
    breakdownAttributionStep: attribution === 'step' ? q.breakdownAttributionStep : undefined,
    breakdownLimit: q.breakdownLimit ?? DEFAULT_BREAKDOWN_LIMIT,
    minConversion: q.minConversion ?? DEFAULT_MIN_CONVERSION,
  };
}

/** Validates funnel query parameters (400 naming the parameter) and applies the defaults. */
export function parseFunnelParams(query: Query, now = Date.now(), settings: FunnelSettings = {}): FunnelParams {
  return resolveFunnel(parse(funnelQuery, query), now, settings);
}

/** Validates `GET /funnel/persons` parameters. */
export function parseFunnelPersonsParams(query: Query, now = Date.now(), settings: FunnelSettings = {}): FunnelPersonsParams {
  const q = parse(funnelPersonsQuery, query);
  const p = resolveFunnel(q, now, settings);
  const step = q.step ?? 0;
  if (step > p.steps.length - 1) invalid([{ path: ['step'], message: `must be at most ${p.steps.length - 1} (the last step)` }]);
  return { ...p, step, status: q.status ?? 'reached', limit: q.limit ?? DEFAULT_PERSONS_LIMIT, offset: q.offset ?? 0 };
}

/** Validates `GET /funnel/trend` parameters; the interval defaults to days up to 31 days of range. */
export function parseFunnelTrendParams(query: Query, now = Date.now(), settings: FunnelSettings = {}): FunnelTrendParams {
  const q = parse(funnelTrendQuery, query);
  const p = resolveFunnel(q, now, settings);
  return { ...p, interval: q.interval ?? (p.to - p.from <= TREND_DAILY_MAX_DAYS * DAY_MS ? 'day' : 'week') };
}

/** Validates `GET /funnel/time-to-convert` parameters. */
export function parseFunnelTimeToConvertParams(query: Query, now = Date.now(), settings: FunnelSettings = {}): FunnelTimeToConvertParams {
  const q = parse(funnelTimeToConvertQuery, query);
  const p = resolveFunnel(q, now, settings);
  const last = p.steps.length - 1;
  const fromStep = q.fromStep ?? 0;
  const toStep = q.toStep ?? last;
  if (toStep > last) invalid([{ path: ['toStep'], message: `must be at most ${last} (the last step)` }]);
  if (fromStep >= toStep) invalid([{ path: ['fromStep'], message: 'must be before toStep' }]);
  return { ...p, fromStep, toStep, bins: q.bins ?? DEFAULT_TIME_TO_CONVERT_BINS };
}
