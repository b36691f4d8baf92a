/**
 * The reports UI's exploration routes: `GET /api/v1/reports/catalog` (pickers) and `GET /api/v1/reports/person`
 * (one developer's journey), on both dialects, checked against their response schemas.
 */
import { describe, expect, it } from 'vitest';
import { catalogResponseSchema, personResponseSchema } from '../../api/analytics/person-schemas.ts';
import { adminHeaders, listEvents, testApp } from '../support/app.ts';
import { call, DAY, getReport, HOUR, ingest } from './support.ts';

describe('GET /api/v1/reports/catalog', () => {
  it.each(['/api/v1/reports/catalog', '/api/v1/reports/person?id=x'])('%s needs the admin token', async (path) => {
    const { app } = testApp();
    expect((await app.request(path)).status).toBe(401);
    expect((await app.request(path, { headers: adminHeaders })).status).not.toBe(401);
  });

  it('lists event names by count and the property keys of events and persons seen in the range', async () => {
    const { app, db } = testApp();
    const now = Date.now();
    await ingest(db, [
      { event: 'signed_up', who: 'a', at: now - 2 * DAY, props: { plan: 'free', $set: { email: 'a@example.com', company: 'Acme' } } },
      { event: 'signed_up', who: 'b', at: now - 3 * DAY, props: { plan: 'pro', utm_source: 'blog' } },
      call('a', now - DAY, 200),
      { event: 'old_event', who: 'c', at: now - 40 * DAY, props: { ancient: true, $set: { legacy: 1 } } },
    ]);
    const body = catalogResponseSchema.parse((await getReport(app, 'catalog')).body);
    expect(body.events).toEqual([
      { name: 'signed_up', count: 2 },
      { name: 'api_call', count: 1 },
    ]);
    expect(body.eventProperties).toEqual(['$set', 'duration_ms', 'endpoint', 'key_prefix', 'method', 'plan', 'status', 'utm_source']);
    expect(body.personProperties).toEqual(['company', 'email']);

    const wider = catalogResponseSchema.parse((await getReport(app, 'catalog', { days: '60' })).body);
    expect(wider.events.map((e) => e.name)).toContain('old_event');
    expect(wider.eventProperties).toContain('ancient');
    expect(wider.personProperties).toContain('legacy');
  });

  it.each(['0', '91', '1.5', 'abc'])('days=%s → 400 naming days', async (days) => {
    const { app } = testApp();
    const res = await getReport(app, 'catalog', { days });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^days: /);
  });
});

describe('GET /api/v1/reports/person', () => {
  it('answers identity, the timeline oldest first, the funnel position and TTFSI', async () => {
    const { app, db } = testApp();
    const t = Date.now() - 5 * DAY;
    await ingest(db, [
      { event: '$pageview', who: 'anon-1', at: t - HOUR, props: { $pathname: '/docs/quickstart/' } },
      { event: '$identify', who: 'dev-1', at: t, props: { $anon_distinct_id: 'anon-1', $set: { email: 'dev1@example.com' } } },
      { event: 'signed_up', who: 'dev-1', at: t + 1000 },
      { event: 'api_key_created', who: 'dev-1', at: t + HOUR },
      call('dev-1', t + 2 * HOUR, 401, { error_code: 'invalid_key' }),
      call('dev-1', t + 3 * HOUR, 200),
      { event: 'signed_up', who: 'someone-else', at: t },
    ]);
    const personId = (await listEvents(app, 'distinct_id=dev-1'))[0]!.personId;
    const res = await getReport(app, 'person', { id: personId });
    expect(res.status).toBe(200);
    const body = personResponseSchema.parse(res.body);
    expect(body.personId).toBe(personId);
    expect(body.email).toBe('dev1@example.com');
    expect(body.distinctIds).toEqual(['anon-1', 'dev-1']);
    expect(body.events.map((e) => e.event)).toEqual(['$pageview', '$identify', 'signed_up', 'api_key_created', 'api_call', 'api_call']);
    expect(body.events[4]!.properties.error_code).toBe('invalid_key');
    expect(body.truncated).toBe(false);
    expect(body.funnel.deepestStep).toBe(2);
    expect(body.funnel.inProgress).toBe(false);
    expect(body.funnel.steps.map((s) => s.reachedAt)).toEqual([t + 1000, t + HOUR, t + 3 * HOUR].map((ms) => new Date(ms).toISOString()));
    expect(body.ttfsiSeconds).toBe((3 * HOUR - 1000) / 1000);
  });

  it('marks a person still inside the window as in progress, with no TTFSI yet', async () => {
    const { app, db } = testApp();
    const t = Date.now() - 2 * DAY;
    await ingest(db, [{ event: 'signed_up', who: 'dev-2', at: t }, call('dev-2', t + HOUR, 500)]);
    const personId = (await listEvents(app, 'distinct_id=dev-2'))[0]!.personId;
    const body = personResponseSchema.parse((await getReport(app, 'person', { id: personId })).body);
    expect(body.email).toBeNull();
    expect(body.funnel).toMatchObject({ deepestStep: 0, inProgress: true });
    expect(body.funnel.steps.map((s) => s.reachedAt === null)).toEqual([false, true, true]);
    expect(body.ttfsiSeconds).toBeNull();
  });

  it('keeps the latest 1,000 events and says it left older ones out', async () => {
    const { app, db } = testApp();
    const t = Date.now() - 3 * DAY;
    await ingest(
      db,
      Array.from({ length: 1003 }, (_, i) => ({ event: '$pageview', who: 'busy', at: t + i * 1000, props: { $pathname: `/docs/${i}` } })),
    );
    const personId = (await listEvents(app, 'distinct_id=busy'))[0]!.personId;
    const body = personResponseSchema.parse((await getReport(app, 'person', { id: personId })).body);
    expect(body.truncated).toBe(true);
    expect(body.events).toHaveLength(1000);
    expect(body.events[0]!.properties.$pathname).toBe('/docs/3');
    expect(body.events[999]!.properties.$pathname).toBe('/docs/1002');
    expect(body.funnel.deepestStep).toBeNull();
  });

  it('404 person_not_found for an unknown id, 400 naming id without one', async () => {
    const { app } = testApp();
    const missing = await getReport(app, 'person', { id: '0190aaaa-0000-7000-8000-000000000000' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('person_not_found');
    for (const query of [{}, { id: '' }, { id: 'x'.repeat(101) }] as Array<Record<string, string>>) {
      const res = await getReport(app, 'person', query);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/^id: /);
    }
  });
});
