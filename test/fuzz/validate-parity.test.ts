import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRawEvent, rawEventSchema } from '../../api/ingest/validate.ts';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261123;
const RUNS = Math.round(10_000 * Number(process.env.FUZZ_SCALE ?? 1));

/** Values near every boundary the schema draws: types, lengths, UUID shape, finite numbers. */
const fieldValue = fc.oneof(
  fc.string({ maxLength: 70 }),
  fc.string({ minLength: 195, maxLength: 205 }),
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant(''),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
);
const rawEvent = fc.oneof(
  fc.record(
    {
      event: fieldValue,
      uuid: fieldValue,
      distinct_id: fieldValue,
      properties: fieldValue,
      timestamp: fieldValue,
      sent_at: fieldValue,
      offset: fieldValue,
      $set: fieldValue,
      $set_once: fieldValue,
      api_key: fieldValue,
      token: fieldValue,
      extra: fieldValue,
    },
    { requiredKeys: [] },
  ),
  fc.record(
    { event: fc.string({ minLength: 1, maxLength: 200 }), properties: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }) },
    { requiredKeys: ['event'] },
  ),
  fc.anything(),
);

describe('the hot-path event check agrees with the zod schema', () => {
  it(`isRawEvent(x) === rawEventSchema.safeParse(x).success for ${RUNS} generated values`, () => {
    fc.assert(
      fc.property(rawEvent, (value) => {
        expect(isRawEvent(value), JSON.stringify(value)?.slice(0, 300)).toBe(rawEventSchema.safeParse(value).success);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
