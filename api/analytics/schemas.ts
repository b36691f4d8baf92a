/**
 * Response schemas of the reports API. They feed the OpenAPI document (api/routes/openapi.ts) and the tests parse
 * real responses with them, so the document cannot drift from what the routes return.
 */
import { z } from 'zod';

const rateOrNull = z.number().min(0).max(1).nullable();
const secondsOrNull = z.number().min(0).nullable();
const codeCount = z.object({ code: z.string(), count: z.number().int() });
const pOrNull = z.number().min(0).max(1).nullable();
const periodBounds = {
  from: z.string().describe('Start of the previous period (ISO 8601).'),
  to: z.string().describe('End of the previous period: 1 ms before `from`.'),
};

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
    topErrors: z.array(codeCount.extend({ persons: z.number().int().describe('Distinct persons who made those failed calls.') })),
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
  previous: z
    .object({
      ...periodBounds,
      steps: z.array(funnelStepSchema),
      overallConversionP: pOrNull.describe('Two-proportion z-test of the overall conversion against the previous period; null under 30 persons.'),
    })
    .describe('The same funnel (no breakdown) over the previous period of the same length.'),
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
  previous: z
    .object({
      ...periodBounds,
      completed: z.number().int(),
      inProgress: z.number().int(),
      median: secondsOrNull.describe('Kaplan–Meier median of the previous period.'),
      completionP: pOrNull.describe('Two-proportion z-test of completed / started against the previous period; null under 30 persons.'),
    })
    .describe('Headline figures over the previous period of the same length.'),
});

const docsSummarySchema = z.object({
  views: z.number().int(),
  readers: z.number().int(),
  helpful: z.number().int().describe('Latest vote per person and page.'),
  notHelpful: z.number().int(),
  helpfulRate: rateOrNull,
});

export const docsResponseSchema = z.object({
  pages: z.array(
    z.object({
      path: z.string(),
      title: z.string().nullable().describe('`title` of the latest `$pageview` of the page in range; null when none carried one.'),
      views: z.number().int(),
      readers: z.number().int(),
      helpful: z.number().int(),
      notHelpful: z.number().int(),
      helpfulRate: rateOrNull,
      wilsonLower: rateOrNull,
      reasons: z.record(z.string(), z.number().int()),
      comments: z.array(z.object({ text: z.string(), timestamp: z.string(), helpful: z.boolean().nullable().describe('The vote sent with the comment.') })),
      readerConversion: rateOrNull,
      nonReaderConversion: rateOrNull,
      flagged: z.boolean(),
    }),
  ),
  summary: docsSummarySchema.describe('Totals over docs and quickstart pages (/docs/…, /quickstarts/…).'),
  previous: docsSummarySchema
    .extend({ ...periodBounds, helpfulRateP: pOrNull.describe('Two-proportion z-test of the helpful rate against the previous period.') })
    .describe('The same totals over the previous period of the same length.'),
});

export const docTrendResponseSchema = z.object({
  path: z.string(),
  bucket: z.enum(['day', 'week']).describe('UTC days for ranges up to 45 days, else ISO weeks (Monday).'),
  points: z.array(
    z.object({
      period: z.string().describe('First day of the bucket, YYYY-MM-DD.'),
      views: z.number().int(),
      helpful: z.number().int(),
      notHelpful: z.number().int(),
      helpfulRate: rateOrNull,
    }),
  ),
});

const latency = {
  calls: z.number().int(),
  errorRate: rateOrNull.describe('Share of calls with status ≥ 500, or 400–499 except 429; null without calls.'),
  p50Ms: z.number().nullable().describe('Median duration_ms, within 1% (DDSketch); null without durations.'),
  p95Ms: z.number().nullable().describe('95th percentile duration_ms, within 1%.'),
  p99Ms: z.number().nullable().describe('99th percentile duration_ms, within 1%.'),
};

const availability = {
  availability: rateOrNull.describe('1 − (calls with status 500–599 ÷ calls), request-based; null without calls.'),
  nines: z.number().min(0).max(6).nullable().describe('−log10(1 − availability), one decimal; 6 when no call got a 5xx; null without calls.'),
  slo: z.object({
    target: z.number().gt(0).lt(1).describe('Availability target, from ONRAMP_API_SLO (default 0.999).'),
    errorBudgetRemaining: z
      .number()
      .nullable()
      .describe(
        'Share of the 5xx calls the target allows in this range not yet spent: 1 − (5xx ÷ calls) ÷ (1 − target). Negative once over budget; null without calls.',
      ),
  }),
};

export const apiHealthResponseSchema = z.object({
  overall: z.object({ ...latency, ...availability }),
  endpoints: z.array(z.object({ endpoint: z.string(), ...latency, ...availability, topErrors: z.array(codeCount) })),
  firstCallErrors: z.array(codeCount),
  supportTicketsPer1kCalls: z.number().min(0).nullable(),
});

export const apiHealthSeriesResponseSchema = z.object({
  interval: z.enum(['minute', 'hour', 'day']),
  points: z.array(
    z.object({
      start: z.string().describe('Start of the bucket, ISO 8601 UTC.'),
      calls: z.number().int(),
      errors: z.number().int().describe('Calls counted in errorRate.'),
      errorRate: rateOrNull,
      p50Ms: z.number().nullable(),
      p95Ms: z.number().nullable(),
      p99Ms: z.number().nullable(),
      byStatusClass: z.object({
        '2xx': z.number().int(),
        '3xx': z.number().int(),
        '4xx': z.number().int().describe('4xx except 429.'),
        '429': z.number().int(),
        '5xx': z.number().int(),
      }),
    }),
  ),
});

export const errorResponseSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
