/**
 * zod schemas of the JSON funnel parameters: property filters (PostHog's operators), step objects and exclusions.
 * A regex is compiled here, once, so a bad one is a 400 naming it and never a 500 later.
 */
import { z } from 'zod';
import { MAX_EVENT_NAME, MAX_FILTER_REGEX, PROPERTY_OPERATORS, type PropertyFilter } from './contract.ts';

const scalar = z.union([z.string().max(1_000, 'must be at most 1000 characters'), z.number(), z.boolean()]);

const eventName = z.string().trim().min(1, 'must not be empty').max(MAX_EVENT_NAME, `must be at most ${MAX_EVENT_NAME} characters`);

const NEEDS_NUMBER = new Set(['gt', 'gte', 'lt', 'lte']);
const NEEDS_NO_VALUE = new Set(['is_set', 'is_not_set']);

/** One property filter. Operator-specific checks: regexes compile, comparisons take a number, others need a value. */
export const propertyFilterSchema = z
  .object({
    key: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    type: z.enum(['event', 'person'], { error: 'must be event or person' }).optional(),
    operator: z.enum(PROPERTY_OPERATORS, { error: `must be one of ${PROPERTY_OPERATORS.join(', ')}` }).optional(),
    value: z.union([scalar, z.array(scalar).max(100, 'must list at most 100 values')]).optional(),
  })
  .strict()
  .superRefine((filter, ctx) => {
    const op = filter.operator ?? 'exact';
    const value = filter.value;
    if (NEEDS_NO_VALUE.has(op)) return;
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `is required for operator ${op}` });
      return;
    }
    if (op === 'regex' || op === 'not_regex') {
      if (typeof value !== 'string') return void ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be a regular expression (a string)' });
      if (value.length > MAX_FILTER_REGEX) {
        return void ctx.addIssue({ code: 'custom', path: ['value'], message: `regular expression must be at most ${MAX_FILTER_REGEX} characters` });
      }
      try {
        new RegExp(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['value'], message: `invalid regular expression: ${(err as Error).message}` });
      }
      return;
    }
    if (NEEDS_NUMBER.has(op) && (Array.isArray(value) || !Number.isFinite(Number(value)) || value === '' || typeof value === 'boolean')) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `must be a number for operator ${op}` });
    }
    if ((op === 'icontains' || op === 'not_icontains') && Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `must be a single value for operator ${op}` });
    }
  }) satisfies z.ZodType<PropertyFilter>;

export const propertyFiltersSchema = z.array(propertyFilterSchema).max(50, 'must list at most 50 filters');

const stepObject = z
  .object({
    event: eventName,
    name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
    properties: propertyFiltersSchema.optional(),
  })
  .strict();

/** A step of the JSON `steps` form: an event name or a step object (chosen by type, so errors name the field). */
export const stepInputSchema = z.unknown().transform((value, ctx): string | z.output<typeof stepObject> => {
  const parsed = typeof value === 'string' ? eventName.safeParse(value) : stepObject.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return z.NEVER;
});

export const exclusionSchema = z
  .object({
    event: eventName,
    properties: propertyFiltersSchema.optional(),
    fromStep: z.number().int('must be a whole number').min(0, 'must be at least 0'),
    toStep: z.number().int('must be a whole number').min(1, 'must be at least 1'),
  })
  .strict()
  .refine((x) => x.fromStep < x.toStep, { path: ['toStep'], message: 'must be greater than fromStep' });

/** A query parameter holding URL-encoded JSON, parsed and then checked by `schema`. */
export function jsonParam<S extends z.ZodType>(schema: S) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be URL-encoded JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}
