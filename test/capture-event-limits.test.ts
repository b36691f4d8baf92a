import { describe, expect, it } from 'vitest';
import { validateRows } from '../api/import/validate-rows.ts';
import { validateCapture } from '../api/ingest/validate.ts';
import { listEvents, PROJECT_TOKEN, SERVER_TOKEN, testApp } from './support/app.ts';
import { captureEvent } from './support/factories.ts';

const KIB = 1024;

/** A batch of `good` valid events with `bad` at index `at`. */
function batchWith(bad: Record<string, unknown>, at = 3, good = 5) {
  const batch: unknown[] = Array.from({ length: good }, () => captureEvent());
  batch.splice(at, 0, bad);
  return { api_key: PROJECT_TOKEN, batch };
}

const feedback = (properties: Record<string, unknown>) =>
  captureEvent({ event: 'doc_feedback', properties: { token: PROJECT_TOKEN, distinct_id: 'reader', page: '/docs/quickstart/', vote: 'no', ...properties } });
const withProps = (properties: Record<string, unknown>, overrides: Record<string, unknown> = {}) =>
  captureEvent({ properties: { token: PROJECT_TOKEN, distinct_id: 'someone', ...properties }, ...overrides });

/**
 * An event whose stored properties (token and distinct_id are taken out; `$set`/`$set_once` are merged in) serialize
 * to exactly `bytes`, the padding in `properties`, `$set` or `$set_once`.
 */
function sizedEvent(bytes: number, where: 'properties' | '$set' | '$set_once') {
  const probe = where === 'properties' ? { pad: '' } : { [where]: { pad: '' } };
  const pad = 'x'.repeat(bytes - JSON.stringify(probe).length);
  return captureEvent({
    api_key: PROJECT_TOKEN,
    distinct_id: 'big',
    properties: where === 'properties' ? { pad } : {},
    ...(where === 'properties' ? {} : { [where]: { pad } }),
  });
}

const rejected = [
  {
    name: 'a comment over 1,000 characters',
    event: feedback({ comment: 'c'.repeat(1001) }),
    field: 'batch[3].properties.comment: must be at most 1000 characters',
  },
  { name: 'a comment that is not text', event: feedback({ comment: { text: 'hi' } }), field: 'batch[3].properties.comment: must be a string' },
  {
    name: 'an undocumented reason',
    event: feedback({ reason: 'too_long' }),
    field: 'batch[3].properties.reason: must be one of code_didnt_work, missing_information, hard_to_follow, outdated, other',
  },
  {
    name: 'a $pathname over 2,048 characters',
    event: withProps({ $pathname: `/${'p'.repeat(2048)}` }),
    field: 'batch[3].properties.$pathname: must be at most 2048 characters',
  },
  {
    name: 'a path over 2,048 characters',
    event: withProps({ path: `/${'p'.repeat(2048)}` }),
    field: 'batch[3].properties.path: must be at most 2048 characters',
  },
  {
    name: 'an endpoint over 2,048 characters',
    event: withProps({ endpoint: `/${'e'.repeat(2048)}` }),
    field: 'batch[3].properties.endpoint: must be at most 2048 characters',
  },
  {
    name: 'an error_code over 100 characters',
    event: withProps({ error_code: 'e'.repeat(101) }),
    field: 'batch[3].properties.error_code: must be at most 100 characters',
  },
  { name: 'properties over 64 KiB', event: sizedEvent(64 * KIB + 1, 'properties'), field: 'batch[3].properties: must be at most 65536 bytes' },
  { name: '$set pushing an event over 64 KiB', event: sizedEvent(64 * KIB + 1, '$set'), field: 'batch[3].properties: must be at most 65536 bytes' },
  { name: '$set_once pushing an event over 64 KiB', event: sizedEvent(64 * KIB + 1, '$set_once'), field: 'batch[3].properties: must be at most 65536 bytes' },
];

describe('capture bounds each event and the fields Onramp reads', () => {
  it.each(rejected)('rejects a batch holding $name with a 400 naming the field, and stores none of it', async ({ event, field }) => {
    const { app } = testApp();
    const res = await app.request('/batch/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batchWith(event)) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.message).toContain(field);
    expect(await listEvents(app)).toHaveLength(0);
  });

  it('names a single event as `event`', () => {
    expect(() => validateCapture(feedback({ comment: 'c'.repeat(1001) }), { projectToken: PROJECT_TOKEN })).toThrow(
      'event.properties.comment: must be at most 1000 characters',
    );
  });

  it('accepts every bound exactly at its limit', async () => {
    const { app } = testApp();
    const atLimit = [
      feedback({ comment: 'c'.repeat(1000), reason: 'code_didnt_work' }),
      ...['missing_information', 'hard_to_follow', 'outdated', 'other'].map((reason) => feedback({ reason })),
      withProps({ $pathname: `/${'p'.repeat(2047)}`, path: `/${'p'.repeat(2047)}`, endpoint: `/${'e'.repeat(2047)}`, error_code: 'e'.repeat(100) }),
      sizedEvent(64 * KIB, 'properties'),
      sizedEvent(64 * KIB, '$set'),
      sizedEvent(64 * KIB, '$set_once'),
    ];
    const res = await app.request('/batch/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: PROJECT_TOKEN, batch: atLimit }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await listEvents(app)).toHaveLength(atLimit.length);
  });

  it('counts bytes, not characters, toward the 64 KiB', () => {
    // 22,000 three-byte characters: 66,000 bytes serialized, though under 65,536 characters.
    const wide = withProps({ pad: '€'.repeat(22_000) });
    expect(() => validateCapture(wide, { projectToken: PROJECT_TOKEN })).toThrow('event.properties: must be at most 65536 bytes');
  });

  it('applies to imported rows too (the in-process path shares the validator)', () => {
    const results = validateRows([{ raw: feedback({ comment: 'c'.repeat(1001) }) } as never], PROJECT_TOKEN);
    expect(JSON.stringify(results)).toContain('properties.comment: must be at most 1000 characters');
  });
});

/** An `api_call` as the platform's backend sends it, with `properties` over the usual ones. */
const call = (properties: Record<string, unknown>) =>
  captureEvent({
    event: 'api_call',
    properties: { token: SERVER_TOKEN, distinct_id: 'dev', endpoint: '/v1/things', method: 'GET', duration_ms: 12, ...properties },
  });

/** Posts `batch` with the server token; resolves to the response. */
const postCalls = (app: ReturnType<typeof testApp>['app'], batch: unknown[]) =>
  app.request('/batch/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: SERVER_TOKEN, batch }) });

describe('capture refuses an api_call the reports would classify differently per path', () => {
  it.each([
    { name: 'a status sent as text', properties: { status: '500' }, field: 'batch[1].properties.status: must be a number' },
    { name: 'a status sent as a boolean', properties: { status: true }, field: 'batch[1].properties.status: must be a number' },
    {
      name: 'an error_code that is a boolean',
      properties: { status: 500, error_code: true },
      field: 'batch[1].properties.error_code: must be a string or an integer',
    },
    {
      name: 'an error_code that is an object',
      properties: { status: 500, error_code: { id: 7 } },
      field: 'batch[1].properties.error_code: must be a string or an integer',
    },
    {
      name: 'an error_code that is a fraction',
      properties: { status: 500, error_code: 1.5 },
      field: 'batch[1].properties.error_code: must be a string or an integer',
    },
  ])('rejects a batch holding $name with a 400 naming the field, and stores none of it', async ({ properties, field }) => {
    const { app } = testApp();
    const res = await postCalls(app, [call({ status: 200 }), call(properties), call({ status: 201 })]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain(field);
    expect(await listEvents(app)).toHaveLength(0);
  });

  it('accepts numeric statuses, text and integer codes, and calls with neither', async () => {
    const { app } = testApp();
    const batch = [
      call({ status: 200 }),
      call({ status: 503, error_code: 'upstream_timeout' }),
      call({ status: 400, error_code: 1001 }),
      call({ status: null, error_code: null }),
      call({}),
    ];
    const res = await postCalls(app, batch);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await listEvents(app)).toHaveLength(batch.length);
  });
});
