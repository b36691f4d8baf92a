/**
 * What the read side returns is bounded and cannot be moved by calls made with keys the API could not verify:
 * unverified calls stay out of error rates and first-call errors, every free-text string is cut to its cap, and
 * the events listing leaves out properties too large to list. Data is stored through the real store, as an import
 * or data from before the capture limits would be, so the caps are what keeps the responses bounded.
 */
import { describe, expect, it } from 'vitest';
import { ELLIPSIS, MAX_LISTED_PROPERTIES_BYTES, TEXT_CAPS } from '../../api/analytics/contract.ts';
import { apiHealthResponseSchema, docsResponseSchema, funnelResponseSchema } from '../../api/analytics/schemas.ts';
import { listEvents, testApp } from '../support/app.ts';
import { call, DAY, type Ev, getReport, HOUR, ingest, iso, T0 } from './support.ts';

const range = { from: iso(T0), to: iso(T0 + 10 * DAY) };
const unverified = { key_verified: false };

describe('calls made with a key the API could not verify', () => {
  it('count in neither the error rate nor the first-call errors of API health', async () => {
    const { app, db } = testApp();
    await ingest(db, [
      call('dev-a', T0 + HOUR, 401, { error_code: 'invalid_api_key', ...unverified }),
      call('dev-a', T0 + 2 * HOUR, 401, { error_code: 'invalid_api_key', ...unverified }),
      call('dev-a', T0 + 3 * HOUR, 500, { error_code: 'internal' }),
      call('dev-a', T0 + 4 * HOUR, 400, { error_code: 'parameter_invalid', key_verified: true }),
      call('dev-a', T0 + 5 * HOUR, 201),
    ]);
    const { status, body } = await getReport(app, 'api-health', range);
    expect(status).toBe(200);
    const report = apiHealthResponseSchema.parse(body);
    // 2 errors among the 3 calls made with a verified key; the unverified calls still count as calls.
    expect(report.overall.calls).toBe(5);
    expect(report.overall.errorRate).toBeCloseTo(2 / 3, 12);
    expect(report.firstCallErrors).toEqual([
      { code: 'internal', count: 1 },
      { code: 'parameter_invalid', count: 1 },
    ]);
  });

  it('are not listed among the errors of persons who stalled at a funnel step', async () => {
    const { app, db } = testApp();
    const events: Ev[] = [];
    for (let i = 0; i < 3; i++) {
      const who = `stalled-${i}`;
      events.push({ event: 'signed_up', who, at: T0 + i * HOUR });
      events.push(call(who, T0 + i * HOUR + 60_000, 401, { error_code: 'invalid_api_key', ...unverified }));
      events.push(call(who, T0 + i * HOUR + 120_000, 400, { error_code: 'parameter_invalid' }));
    }
    await ingest(db, events);
    const { body } = await getReport(app, 'funnel', { ...range, steps: 'signed_up,first_successful_call', minConversion: '0.5' });
    const report = funnelResponseSchema.parse(body);
    const flag = report.flags.find((f) => f.kind === 'low_conversion')!;
    expect(flag.evidence.topErrors).toEqual([{ code: 'parameter_invalid', count: 3, persons: 3 }]);
  });
});

describe('free text in reports is cut to its cap', () => {
  const long = (prefix: string, length: number) => prefix + 'x'.repeat(length - prefix.length);

  it('cuts page paths, reasons and comments in the docs report', async () => {
    const { app, db } = testApp();
    const path = long('/docs/', TEXT_CAPS.path + 500);
    // Voted on without a page view: PostgreSQL's indexed page-view path column keeps only 512 characters.
    await ingest(db, [
      {
        event: 'doc_feedback',
        who: 'reader',
        at: T0 + 2 * HOUR,
        props: { path, helpful: false, reason: long('r', TEXT_CAPS.label + 50), comment: long('c', TEXT_CAPS.comment + 50) },
      },
    ]);
    const report = docsResponseSchema.parse((await getReport(app, 'docs', range)).body);
    expect(report.pages).toHaveLength(1);
    const page = report.pages[0]!;
    expect(page.path).toHaveLength(TEXT_CAPS.path);
    expect(page.path.endsWith(ELLIPSIS)).toBe(true);
    expect(Object.keys(page.reasons).map((r) => r.length)).toEqual([TEXT_CAPS.label]);
    expect(page.comments.map((c) => c.text.length)).toEqual([TEXT_CAPS.comment]);
  });

  it('cuts endpoints and error codes in API health, and breakdown values in the funnel', async () => {
    const { app, db } = testApp();
    const code = long('E', TEXT_CAPS.errorCode + 20);
    const endpoint = long('/sandbox/v1/', TEXT_CAPS.path + 20);
    const value = long('v', TEXT_CAPS.label + 20);
    await ingest(db, [
      { event: 'signed_up', who: 'dev', at: T0 + HOUR, props: { source: value } },
      call('dev', T0 + 2 * HOUR, 400, { error_code: code, endpoint }),
    ]);
    const health = apiHealthResponseSchema.parse((await getReport(app, 'api-health', range)).body);
    // PostgreSQL's stored endpoint column keeps 256 characters; SQLite's reads the whole property.
    expect(health.endpoints).toHaveLength(1);
    expect(health.endpoints[0]!.endpoint.length).toBeLessThanOrEqual(TEXT_CAPS.path);
    expect(health.endpoints[0]!.topErrors.map((e) => e.code)).toEqual([code.slice(0, TEXT_CAPS.errorCode - 1) + ELLIPSIS]);
    expect(health.firstCallErrors.map((e) => e.code.length)).toEqual([TEXT_CAPS.errorCode]);
    const funnel = funnelResponseSchema.parse(
      (await getReport(app, 'funnel', { ...range, steps: 'signed_up,first_successful_call', breakdown: 'source' })).body,
    );
    expect(funnel.breakdown.map((b) => b.value)).toEqual([value.slice(0, TEXT_CAPS.label - 1) + ELLIPSIS]);
  });
});

describe('GET /api/v1/events', () => {
  it('leaves out properties too large to list, and says so', async () => {
    const { app, db } = testApp();
    const big = 'p'.repeat(MAX_LISTED_PROPERTIES_BYTES);
    await ingest(db, [
      { event: 'huge', who: 'dev', at: T0 + HOUR, props: { big } },
      { event: 'small', who: 'dev', at: T0 + 2 * HOUR, props: { plan: 'pro' } },
    ]);
    const events = (await listEvents(app)) as Array<{ event: string; properties: unknown; propertiesOmitted?: boolean }>;
    expect(events.map((e) => [e.event, e.properties, e.propertiesOmitted])).toEqual([
      ['small', { plan: 'pro' }, undefined],
      ['huge', {}, true],
    ]);
  });
});
