import { describe, expect, it } from 'vitest';
import { ADMIN_SESSION_TTL_MS } from '../../api/portal/admin-sessions.ts';
import { ADMIN_TOKEN, storedRows, testApp } from '../support/app.ts';

const ORIGIN = 'http://localhost';
const sameOrigin = { origin: ORIGIN, 'content-type': 'application/json' };

async function login(app: ReturnType<typeof testApp>['app'], token = ADMIN_TOKEN, headers: Record<string, string> = sameOrigin) {
  return app.request(`${ORIGIN}/api/v1/admin/session`, { method: 'POST', headers, body: JSON.stringify({ token }) });
}

function cookieFrom(res: Response): string {
  const raw = res.headers.get('set-cookie') ?? '';
  return raw.split(';')[0]!;
}

describe('admin session login for the reports UI', () => {
  it('exchanges the admin token for an HttpOnly SameSite=Strict cookie that opens admin routes', async () => {
    const { app } = testApp();
    const res = await login(app);
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^onramp_admin_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/api\//);
    expect(setCookie).not.toContain(ADMIN_TOKEN);

    const cookie = cookieFrom(res);
    const events = await app.request(`${ORIGIN}/api/v1/events`, { headers: { cookie } });
    expect(events.status).toBe(200);
    const status = await app.request(`${ORIGIN}/api/v1/admin/session`, { headers: { cookie } });
    expect(await status.json()).toEqual({ authenticated: true });
  });

  it('stores only a keyed hash of the session id', async () => {
    const { app, db } = testApp();
    const id = cookieFrom(await login(app)).split('=')[1]!;
    const rows = await storedRows<{ id_hash: string }>(db, 'SELECT id_hash FROM admin_sessions');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.id_hash).not.toContain(id);
  });

  it('rejects a wrong token with 401 and a missing token with 400 naming the field', async () => {
    const { app } = testApp();
    const wrong = await login(app, 'not-the-admin-token-at-all');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const missing = await app.request(`${ORIGIN}/api/v1/admin/session`, { method: 'POST', headers: sameOrigin, body: '{}' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/^token:/);
    const notJson = await app.request(`${ORIGIN}/api/v1/admin/session`, { method: 'POST', headers: sameOrigin, body: 'token=x' });
    expect(notJson.status).toBe(400);
  });

  it('refuses a login posted from another origin', async () => {
    const { app } = testApp();
    const res = await login(app, ADMIN_TOKEN, { origin: 'https://evil.example', 'content-type': 'application/json' });
    expect(res.status).toBe(403);
  });

  it('throttles repeated wrong tokens', async () => {
    const { app } = testApp();
    for (let i = 0; i < 10; i += 1) expect((await login(app, `wrong-token-${i}-xxxxxxxx`)).status).toBe(401);
    const blocked = await login(app);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('counts wrong tokens in the database, so a second app (instance) on it is throttled too', async () => {
    const { app, db } = testApp();
    for (let i = 0; i < 10; i += 1) expect((await login(app, `wrong-token-${i}-xxxxxxxx`)).status).toBe(401);
    const { app: other } = testApp({ db });
    expect((await login(other)).status).toBe(429);
  });

  it('logs out: the cookie stops working and is cleared', async () => {
    const { app } = testApp();
    const cookie = cookieFrom(await login(app));
    const out = await app.request(`${ORIGIN}/api/v1/admin/session`, { method: 'DELETE', headers: { cookie, origin: ORIGIN } });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/onramp_admin_session=;.*Max-Age=0/);
    expect((await app.request(`${ORIGIN}/api/v1/events`, { headers: { cookie } })).status).toBe(401);
  });

  it('judges a present Authorization header alone: a wrong bearer is not rescued by a valid cookie', async () => {
    const { app } = testApp();
    const cookie = cookieFrom(await login(app));
    const res = await app.request(`${ORIGIN}/api/v1/events`, { headers: { cookie, authorization: 'Bearer wrong-token-value' } });
    expect(res.status).toBe(401);
  });

  it('rejects forged, unknown and malformed cookies', async () => {
    const { app } = testApp();
    for (const value of ['x'.repeat(43), 'short', `${'a'.repeat(42)};`, "' OR 1=1 --"]) {
      const res = await app.request(`${ORIGIN}/api/v1/events`, { headers: { cookie: `onramp_admin_session=${encodeURIComponent(value)}` } });
      expect(res.status).toBe(401);
    }
  });

  it('blocks cookie-authenticated writes from another origin (CSRF)', async () => {
    const { app } = testApp();
    const cookie = cookieFrom(await login(app));
    const res = await app.request(`${ORIGIN}/api/v1/events`, { method: 'POST', headers: { cookie, origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
  });

  it('expires sessions and ends them all when the admin token changes', async () => {
    const { app } = testApp();
    const store = app.storage.adminSessions(ADMIN_TOKEN);
    const now = Date.UTC(2026, 0, 1);
    const { id } = await store.create(now);
    expect(await store.isValid(id, now + 1000)).toBe(true);
    expect(await store.isValid(id, now + ADMIN_SESSION_TTL_MS)).toBe(false);
    const rotated = app.storage.adminSessions('a-brand-new-admin-token-value');
    expect(await rotated.isValid(id, now + 1000)).toBe(false);
  });
});
