/**
 * Response schemas of `GET /api/v1/reports/catalog` and `GET /api/v1/reports/person`: they feed the OpenAPI
 * document and the tests parse real responses with them.
 */
import { z } from 'zod';

export const catalogResponseSchema = z.object({
  events: z
    .array(z.object({ name: z.string(), count: z.number().int() }))
    .max(200)
    .describe('Event names by number of events, most first.'),
  eventProperties: z.array(z.string()).max(200).describe('Property keys of those events, sorted by name.'),
  personProperties: z.array(z.string()).max(200).describe('Property keys of the persons active in the range, sorted by name.'),
});

const listedEventSchema = z.object({
  uuid: z.string(),
  event: z.string(),
  distinctId: z.string(),
  personId: z.string(),
  personEmail: z.string().nullable(),
  timestamp: z.string(),
  properties: z.record(z.string(), z.unknown()),
  propertiesOmitted: z.literal(true).optional(),
});

export const personResponseSchema = z.object({
  personId: z.string(),
  email: z.string().nullable(),
  distinctIds: z.array(z.string()).max(100),
  events: z.array(listedEventSchema).max(1000).describe('The latest events, oldest first (newest last).'),
  truncated: z.boolean().describe('Older events were left out.'),
  funnel: z.object({
    window: z.string(),
    deepestStep: z.number().int().min(0).nullable().describe('0-based index of the deepest step of the default funnel reached; null before step 1.'),
    inProgress: z.boolean(),
    steps: z.array(z.object({ event: z.string(), reachedAt: z.string().nullable() })),
  }),
  ttfsiSeconds: z.number().min(0).nullable(),
});
