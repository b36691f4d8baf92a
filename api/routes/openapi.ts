import { Hono } from 'hono';
import { z } from 'zod';
import { seriesQuery } from '../analytics/api-traffic/series-params.ts';
import { funnelPersonsQuery, funnelQuery, funnelTimeToConvertQuery, funnelTrendQuery } from '../analytics/funnel-params.ts';
import { catalogQuery, docTrendQuery, personQuery, rangeQuery, ttfsiQuery } from '../analytics/params.ts';
import { catalogResponseSchema, personResponseSchema } from '../analytics/person-schemas.ts';
import {
  apiHealthResponseSchema,
  apiHealthSeriesResponseSchema,
  docsResponseSchema,
  docTrendResponseSchema,
  errorResponseSchema,
  funnelPersonsResponseSchema,
  funnelResponseSchema,
  funnelTrendResponseSchema,
  timeToConvertResponseSchema,
  ttfsiResponseSchema,
} from '../analytics/schemas.ts';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function queryParameters(schema: z.ZodObject) {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { description, ...fieldSchema } = jsonSchema(field as z.ZodType, 'input');
    return { name, in: 'query', required: false, ...(description ? { description } : {}), schema: fieldSchema };
  });
}

const errors = {
  '400': { description: 'A parameter is invalid; the message names it.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  '401': { description: 'Missing or wrong admin token.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
};

function operation(summary: string, description: string, query: z.ZodObject, response: string) {
  return {
    get: {
      summary,
      description,
      tags: ['reports'],
      parameters: queryParameters(query),
      responses: {
        '200': { description: 'The report.', content: { 'application/json': { schema: { $ref: `#/components/schemas/${response}` } } } },
        ...errors,
      },
    },
  };
}

/** Adds the 404 of a route that looks one thing up. */
function withNotFound(path: ReturnType<typeof operation>) {
  const notFound = { description: 'No such item.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  return { get: { ...path.get, responses: { ...path.get.responses, '404': notFound } } };
}

/** The OpenAPI 3.1 document of the reports API, built from the same zod schemas the routes validate and return. */
export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Onramp reports API',
      version: '1.0.0',
      description:
        'Onboarding reports. Every route needs the admin token (`Authorization: Bearer <ONRAMP_ADMIN_TOKEN>`), counts persons (identity merged), and takes `from`/`to` (ISO 8601, inclusive; default the last 30 days). Rates with a zero denominator are null.',
    },
    security: [{ adminToken: [] }],
    paths: {
      '/api/v1/reports/funnel': operation(
        'Funnel',
        'PostHog funnel semantics: every counted event in [from, to]; the window starts at the step-1 event; each step-1 event starts an attempt; a person counts at the deepest step of any attempt, with the timings of the first attempt that reached it; events at one instant have no order. `first_successful_call` is the earliest 2xx api_call over all time, counted when in range. A PropertyFilter is {"key", "type"?: event|person, "operator"?: exact|is_not|icontains|not_icontains|regex|not_regex|gt|gte|lt|lte|is_set|is_not_set, "value"?}. Flags compare against the previous period [from − (to − from), from); `previous` holds that period’s steps.',
        funnelQuery,
        'FunnelReport',
      ),
      '/api/v1/reports/funnel/persons': operation(
        'Funnel persons',
        "The persons behind one figure of the funnel: reached (deepest step is `step` or later), dropped or inProgress at `step`. `total` equals the report's figure.",
        funnelPersonsQuery,
        'FunnelPersons',
      ),
      '/api/v1/reports/funnel/trend': operation(
        'Funnel conversion over time',
        "PostHog's historical trends: a person enters each interval in which they start an attempt (any step in an any-order funnel); completed when that attempt reaches the last step within the window. Days are UTC; weeks start on Monday.",
        funnelTrendQuery,
        'FunnelTrend',
      ),
      '/api/v1/reports/funnel/time-to-convert': operation(
        'Funnel time to convert',
        'Histogram of per-person seconds from fromStep to toStep of the counted attempt (any order: between those completions). The breakdown does not apply.',
        funnelTimeToConvertQuery,
        'TimeToConvert',
      ),
      '/api/v1/reports/ttfsi': operation(
        'Time to first successful integration',
        'From the first `start` event in range to the first `end` event in [start, to]; no window. Unfinished persons are censored at `to` in the Kaplan–Meier estimate.',
        ttfsiQuery,
        'TtfsiReport',
      ),
      '/api/v1/reports/docs': operation(
        'Doc satisfaction',
        'One row per doc path: views, readers, latest vote per person per page, Wilson lower bound, reader vs non-reader conversion. Worst first.',
        rangeQuery,
        'DocsReport',
      ),
      '/api/v1/reports/docs/trend': operation(
        'Doc page trend',
        'One page (`path`, required) over time: page views and latest votes per person, per UTC day (ranges up to 45 days) or ISO week, with the helpful rate.',
        docTrendQuery,
        'DocTrend',
      ),
      '/api/v1/reports/api-health': operation(
        'API health',
        "From per-minute rollups of every api_call, so it outlives raw calls: error rate (status ≥ 500 or 4xx except 429, exact), latency p50/p95/p99 (within 1%), availability in nines against ONRAMP_API_SLO, overall and per endpoint; errors before a first success (each person's earliest 50); support tickets per 1,000 calls. Calls count by whole minutes: a minute counts when any of it is in [from, to]; by whole hours at an edge older than ONRAMP_API_CALL_MINUTE_DAYS (default 7), whose minute rollups are deleted.",
        rangeQuery,
        'ApiHealthReport',
      ),
      '/api/v1/reports/api-health/series': operation(
        'API health over time',
        'One point per minute, hour or day of [from, to], from the rollups: calls, errors, error rate, p50/p95/p99 and calls by status class. Buckets without calls are present with calls 0 and null rates. Minute points only within ONRAMP_API_CALL_MINUTE_DAYS (default 7); interval=minute before that is a 400 naming interval.',
        seriesQuery,
        'ApiHealthSeries',
      ),
      '/api/v1/reports/catalog': operation(
        'Catalog for the pickers',
        'Event names (with their number of events) and the property keys of those events and of their persons, seen in the last `days` days; at most 200 of each.',
        catalogQuery,
        'Catalog',
      ),
      '/api/v1/reports/person': withNotFound(
        operation(
          'One person',
          "A developer's journey: email, distinct ids, the latest 1,000 events (oldest first, `truncated` when older ones were left out), their position in the default funnel and TTFSI so far. 404 `person_not_found` for an unknown id.",
          personQuery,
          'Person',
        ),
      ),
      '/api/v1/openapi.json': {
        get: {
          summary: 'This document',
          tags: ['meta'],
          responses: { '200': { description: 'OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } }, '401': errors['401'] },
        },
      },
    },
    components: {
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'ONRAMP_ADMIN_TOKEN' } },
      schemas: {
        FunnelReport: jsonSchema(funnelResponseSchema, 'output'),
        FunnelPersons: jsonSchema(funnelPersonsResponseSchema, 'output'),
        FunnelTrend: jsonSchema(funnelTrendResponseSchema, 'output'),
        TimeToConvert: jsonSchema(timeToConvertResponseSchema, 'output'),
        TtfsiReport: jsonSchema(ttfsiResponseSchema, 'output'),
        DocsReport: jsonSchema(docsResponseSchema, 'output'),
        DocTrend: jsonSchema(docTrendResponseSchema, 'output'),
        ApiHealthReport: jsonSchema(apiHealthResponseSchema, 'output'),
        ApiHealthSeries: jsonSchema(apiHealthSeriesResponseSchema, 'output'),
        Catalog: jsonSchema(catalogResponseSchema, 'output'),
        Person: jsonSchema(personResponseSchema, 'output'),
        Error: jsonSchema(errorResponseSchema, 'output'),
      },
    },
  };
}

/** `GET /api/v1/openapi.json` (admin-protected in app.ts). */
export function openApiRoutes() {
  const app = new Hono({ strict: false });
  const document = openApiDocument();
  app.get('/', (c) => c.json(document));
  return app;
}
