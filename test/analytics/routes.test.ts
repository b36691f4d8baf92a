/**
 * Reports routes: parameter validation (400 naming the parameter), admin protection, defaults, and the OpenAPI
 * document listing every route.
 */
import { describe, expect, it } from 'vitest';
import { funnelResponseSchema } from '../../api/analytics/schemas.ts';
import { adminHeaders, listEvents, testApp } from '../support/app.ts';
import { DAY, getReport, ingest } from './support.ts';

const ROUTES = ['funnel', 'funnel/persons', 'funnel/trend', 'funnel/time-to-convert', 'ttfsi', 'docs', 'docs/trend', 'api-health', 'api-health/series'];

describe('reports: bad parameters are a 400 naming the parameter', () => {
  const { app } = testApp();
  const eleven = Array.from({ length: 11 }, (_, i) => `e${i}`).join(',');
  describe.each([
    ['funnel', { steps: 'signed_up' }, 'steps'],
    ['funnel', { steps: eleven }, 'steps'],
    ['funnel', { steps: 'signed_up,,api_key_created' }, 'steps'],
    ['funnel', { steps: `signed_up,${'x'.repeat(201)}` }, 'steps'],
    ['funnel', { window: '14' }, 'window'],
    ['funnel', { window: '14x' }, 'window'],
    ['funnel', { window: '0d' }, 'window'],
    ['funnel', { window: '400d' }, 'window'],
    ['funnel', { window: '-1d' }, 'window'],
    ['funnel', { order: 'random' }, 'order'],
    ['funnel', { from: 'yesterday' }, 'from'],
    ['funnel', { to: '2026-13-45' }, 'to'],
    ['funnel', { to: '99999999999999999999' }, 'to'],
    ['funnel', { from: '1960-01-01T00:00:00Z' }, 'from'],
    ['funnel', { from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' }, 'from'],
    ['funnel', { breakdown: 'a"b' }, 'breakdown'],
    ['funnel', { breakdown: '' }, 'breakdown'],
    ['funnel', { minConversion: '2' }, 'minConversion'],
    ['funnel', { minConversion: 'abc' }, 'minConversion'],
    ['ttfsi', { start: '' }, 'start'],
    ['ttfsi', { end: 'e'.repeat(201) }, 'end'],
    ['ttfsi', { from: '2026-03-02', to: '2026-03-01' }, 'from'],
    ['docs', { from: 'not-a-date' }, 'from'],
    ['docs', { from: '2026-03-02', to: '2026-03-01' }, 'from'],
    ['api-health', { to: 'soon' }, 'to'],
    ['api-health', { from: "1' OR '1'='1" }, 'from'],
    ['api-health/series', { interval: 'week' }, 'interval'],
    ['api-health/series', { from: '2026-01-01', to: '2026-03-01', interval: 'minute' }, 'interval'],
    ['api-health/series', { from: '2026-03-02', to: '2026-03-01' }, 'from'],
    ['api-health/series', { to: 'later' }, 'to'],
    ['api-health/series', { endpoint: '' }, 'endpoint'],
    ['api-health/series', { endpoint: 'e'.repeat(2049) }, 'endpoint'],
  ] as const)('%s %j', (route, query, param) => {
    it(`→ 400 naming ${param}`, async () => {
      const res = await getReport(app, route, query as Record<string, string>);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message).toMatch(new RegExp(`^${param}(\\[\\d+\\])?: `));
    });
  });
});

describe('reports: access and defaults', () => {
  // The trend needs its page: without it the admin gets a 400 naming `path`, not the report.
  const routeWithRequired = (r: string) => (r === 'docs/trend' ? `${r}?path=%2Fdocs%2Ferrors%2F` : r);
  it.each([...ROUTES.map((r) => `/api/v1/reports/${routeWithRequired(r)}`), '/api/v1/openapi.json'])('%s needs the admin token', async (path) => {
    const { app } = testApp();
    expect((await app.request(path)).status).toBe(401);
    expect((await app.request(path, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    expect((await app.request(path, { headers: adminHeaders })).status).toBe(200);
  });

  it('defaults to the last 30 days, the onboarding steps, a 14d window and ordered; unknown step names are fine', async () => {
    const { app, db } = testApp();
    await ingest(db, [
      { event: 'signed_up', who: 'a', at: Date.now() - 2 * DAY },
      { event: 'signed_up', who: 'old', at: Date.now() - 31 * DAY },
    ]);
    const body = funnelResponseSchema.parse((await getReport(app, 'funnel')).body);
    expect(body.steps.map((s) => s.event)).toEqual(['signed_up', 'api_key_created', 'first_successful_call']);
    expect(body.steps[0]!.count).toBe(1);
    expect([body.window, body.order]).toEqual(['14d', 'ordered']);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(30 * DAY);
    const unknown = await getReport(app, 'funnel', { steps: 'no_such_event,another_one' });
    expect(unknown.status).toBe(200);
    expect(unknown.body.steps.map((s: { count: number }) => s.count)).toEqual([0, 0]);
  });

  it('treats hostile parameter values as data, never as SQL', async () => {
    const { app, db } = testApp();
    await ingest(db, [{ event: 'signed_up', who: 'a', at: Date.now() - DAY, props: { source: 'x' } }]);
    const evil = "signed_up') OR 1=1; DROP TABLE events; --";
    const res = await getReport(app, 'funnel', { steps: `${evil},signed_up`, breakdown: "source') OR 1=1 --" });
    expect(res.status).toBe(200);
    expect(res.body.steps[0].count).toBe(0);
    expect(await listEvents(app)).toHaveLength(1);
  });
});

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 and lists every reports route the app serves', async () => {
    const { app } = testApp();
    const res = await app.request('/api/v1/openapi.json', { headers: adminHeaders });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, { get: { parameters?: Array<{ name: string }> } }> };
    expect(doc.openapi).toBe('3.1.0');
    const served = [...new Set(app.routes.filter((r) => r.path.startsWith('/api/v1/reports/') && r.method === 'GET').map((r) => r.path))];
    expect(served.sort()).toEqual(ROUTES.map((r) => `/api/v1/reports/${r}`).sort());
    for (const path of served) expect(Object.keys(doc.paths)).toContain(path);
    expect(doc.paths['/api/v1/reports/funnel']!.get.parameters!.map((p) => p.name).sort()).toEqual(
      [
        'breakdown',
        'breakdownAttribution',
        'breakdownAttributionStep',
        'breakdownLimit',
        'exclusions',
        'filterTestAccounts',
        'from',
        'minConversion',
        'order',
        'properties',
        'steps',
        'to',
        'window',
      ].sort(),
    );
    expect(doc.paths['/api/v1/reports/ttfsi']!.get.parameters!.map((p) => p.name).sort()).toEqual(['end', 'from', 'start', 'to']);
  });
});
