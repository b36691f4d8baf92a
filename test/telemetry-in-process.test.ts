import { describe, expect, it, vi } from 'vitest';
import { inProcessTelemetry } from '../api/telemetry.ts';
import { listEvents, PROJECT_TOKEN, SERVER_TOKEN, testApp } from './support/app.ts';

describe("the backend's own events reach the capture core directly", () => {
  it('stores them without any HTTP request to the app', async () => {
    const { app } = testApp();
    const fetchSpy = vi.spyOn(app, 'fetch');
    app.telemetry.capture('acct_1', { event: 'api_key_revoked', properties: { key_prefix: 'onr_test_AAAA' } }, new Date('2026-01-02T03:04:05Z'));
    await app.telemetry.flush();
    expect(fetchSpy).not.toHaveBeenCalled();
    fetchSpy.mockRestore();
    const [stored] = await listEvents(app);
    expect(stored).toMatchObject({
      event: 'api_key_revoked',
      distinctId: 'acct_1',
      timestamp: '2026-01-02T03:04:05.000Z',
      properties: { key_prefix: 'onr_test_AAAA' },
    });
  });

  it('goes through the one validator: the public token cannot send a server event this way either', async () => {
    const { app } = testApp();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const telemetry = inProcessTelemetry((payload) => app.capture.ingest(payload), PROJECT_TOKEN);
    telemetry.capture('acct_2', { event: 'signed_up' });
    telemetry.capture('acct_2', {
      event: 'api_call',
      properties: { status: 200, method: 'GET', endpoint: `/${'x'.repeat(2048)}`, duration_ms: 1, key_prefix: null },
    });
    await telemetry.flush();
    // Logged at most once a minute: the first rejection is the one that shows.
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain('server event');
    warn.mockRestore();
    expect(await listEvents(app)).toEqual([]);
    const withServerToken = inProcessTelemetry((payload) => app.capture.ingest(payload), SERVER_TOKEN);
    withServerToken.capture('acct_2', {
      event: 'api_call',
      properties: { status: 200, method: 'GET', endpoint: `/${'x'.repeat(2048)}`, duration_ms: 1, key_prefix: null },
    });
    await withServerToken.flush();
    expect(await listEvents(app)).toEqual([]);
  });

  it('waits on shutdown for every event captured so far', async () => {
    const { app } = testApp();
    for (let i = 0; i < 50; i += 1) app.telemetry.capture(`acct_${i}`, { event: 'signed_up' });
    await app.telemetry.shutdown(5000);
    expect(await listEvents(app)).toHaveLength(50);
  });
});
