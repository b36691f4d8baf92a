/**
 * Response schemas of the reports API. They feed the OpenAPI document (api/routes/openapi.ts) and the tests parse
 * real responses with them, so the document cannot drift from what the routes return.
 */
import { z } from 'zod';

const rateOrNull = z.number().min(0).max(1).nullable();
const secondsOrNull = z.number().min(0).nullable();
const codeCount = z.object({ code: z.string(), count: z.number().int() });

export const funnelStepSchema = z.object({
  event: z.string(),
  name: z.string().describe("The step's name (default: its event name)."),
  count: z.number().int().describe('Persons whose deepest step is this one or later.'),
  conversionFromStart: rateOrNull.describe('count / count of step 1; null when step 1 is 0.'),
  conversionFromPrevious: rateOrNull.describe('count / count of the previous step; null when that is 0.'),
  dropOff: z.number().int().describe('Reached the previous step but not this one, and their window had closed by `to`.'),
  inProgress: z.number().int().describe('Reached the previous step but not this one, and their window was still open at `to`.'),
  averageSecondsFromPrevious: secondsOrNull.describe(
    'Mean seconds from the previous step over persons who reached this one; conversions of exactly 0 seconds are left out (as PostHog), as in the median and p90.',
  ),
  medianSecondsFromPrevious: secondsOrNull,
  p90SecondsFromPrevious: secondsOrNull,
});

export const flagSchema = z.object({
  step: z.number().int().describe('0-based index into steps.'),
  event: z.string(),
  kind: z.enum(['significant_drop', 'low_conversion', 'slowest_step']),
  severity: z.enum(['high', 'medium', 'low']),
  message: z.string(),
  evidence: z.object({
    previousRate: rateOrNull,
    currentRate: rateOrNull,
    p: z.number().min(0).max(1).nullable().describe('Two-sided p-value of the two-proportion z-test; null when not testable.'),
    topErrors: z.array(codeCount),
    lastPages: z.array(z.object({ path: z.string(), count: z.number().int(), helpfulRate: rateOrNull })),
  }),
});

export const funnelResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  window: z.string(),
  order: z.enum(['ordered', 'strict', 'any']),
  steps: z.array(funnelStepSchema),
  breakdown: z.array(z.object({ value: z.string().nullable(), steps: z.array(funnelStepSchema) })),
  flags: z.array(flagSchema),
});

export const funnelPersonsResponseSchema = z.object({
  total: z.number().int().describe("Persons matching step and status: always the funnel report's figure for them."),
  persons: z.array(
    z.object({
      personId: z.string(),
      distinctIds: z.array(z.string()),
      email: z.string().nullable().describe("The person's `email` property, when set."),
      enteredAt: z.string().describe('Step-1 time of the counted attempt.'),
      reachedAt: z.string().nullable().describe('When that attempt reached the step; null for dropped and in-progress persons.'),
    }),
  ),
});

export const funnelTrendResponseSchema = z.object({
  interval: z.enum(['day', 'week']),
  points: z.array(
    z.object({
      start: z.string().describe('Interval start: a UTC day, or an ISO week from Monday 00:00 UTC.'),
      entered: z.number().int().describe('Persons who started an attempt in the interval.'),
      completed: z.number().int().describe('Of those, persons whose attempt from the interval reached the last step within the window.'),
      inProgress: z.number().int().describe('Of the others, persons whose window was still open at `to`.'),
      conversion: rateOrNull.describe('completed / entered; null when nobody entered.'),
    }),
  ),
});

export const timeToConvertResponseSchema = z.object({
  bins: z.array(z.object({ fromSeconds: z.number(), toSeconds: z.number(), persons: z.number().int() })),
  averageSeconds: secondsOrNull.describe('Conversions of exactly 0 seconds left out.'),
  medianSeconds: secondsOrNull.describe('Conversions of exactly 0 seconds left out.'),
});

export const ttfsiResponseSchema = z.object({
  completed: z.number().int(),
  inProgress: z.number().int(),
  percentiles: z.object({ p50: secondsOrNull, p75: secondsOrNull, p90: secondsOrNull, p95: secondsOrNull }),
  kaplanMeier: z.object({
    median: secondsOrNull,
    points: z.array(z.object({ seconds: z.number().min(0), survival: z.number().min(0).max(1) })),
  }),
  histogram: z.array(z.object({ fromSeconds: z.number(), toSeconds: z.number(), count: z.number().int() })),
  cohorts: z.array(z.object({ week: z.string(), started: z.number().int(), completed: z.number().int(), p50: secondsOrNull })),
});

export const docsResponseSchema = z.object({
  pages: z.array(
    z.object({
      path: z.string(),
      views: z.number().int(),
      readers: z.number().int(),
      helpful: z.number().int(),
      notHelpful: z.number().int(),
      helpfulRate: rateOrNull,
      wilsonLower: rateOrNull,
      reasons: z.record(z.string(), z.number().int()),
      comments: z.array(z.object({ text: z.string(), timestamp: z.string() })),
      readerConversion: rateOrNull,
      nonReaderConversion: rateOrNull,
      flagged: z.boolean(),
    }),
  ),
});

const latency = {
  calls: z.number().int(),
  errorRate: rateOrNull.describe('Share of calls with status ≥ 500, or 400–499 except 429; null without calls.'),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
};

export const apiHealthResponseSchema = z.object({
  overall: z.object(latency),
  endpoints: z.array(z.object({ endpoint: z.string(), ...latency, topErrors: z.array(codeCount) })),
  firstCallErrors: z.array(codeCount),
  supportTicketsPer1kCalls: z.number().min(0).nullable(),
});

export const errorResponseSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
