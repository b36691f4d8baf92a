/**
 * The portal's trust boundaries: which address is the client (trusted proxies), which origin is ours, admin token
 * guessing, calls forged in another developer's name, and a login lockout that cannot be used to lock someone out.
 */
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../api/env.ts';
import { LOGIN_LOCKOUT, loginLockedSeconds } from '../../api/portal/login-lockout.ts';
import { ADMIN_TOKEN, PROJECT_TOKEN, SERVER_TOKEN, testApp } from '../support/app.ts';
import { createKey, flushedEvents, GOOD_PASSWORD, portalClient, signUp, uniqueEmail } from './helpers.ts';

type App = ReturnType<typeof testApp>['app'];
const ORIGIN = 'http://localhost';
const PROXY = '10.0.0.1';

/** An app whose ONRAMP_TRUSTED_PROXIES is `proxies` (and ONRAMP_PUBLIC_URL `publicUrl`, if given). */
function appWith(env: { proxies?: string; publicUrl?: string } = {}) {
  return testApp({
    env: {
      ONRAMP_PROJECT_TOKEN: PROJECT_TOKEN,
      ONRAMP_ADMIN_TOKEN: ADMIN_TOKEN,
      ONRAMP_SERVER_TOKEN: SERVER_TOKEN,
      ...parseEnvPart(env),
    },
  }).app;
}

/** The variables as start-up parses them. */
function parseEnvPart({ proxies, publicUrl }: { proxies?: string; publicUrl?: string }) {
  const env = parseEnv({ ONRAMP_TRUSTED_PROXIES: proxies, ONRAMP_PUBLIC_URL: publicUrl, ONRAMP_ADMIN_TOKEN: ADMIN_TOKEN });
  return { ONRAMP_TRUSTED_PROXIES: env.ONRAMP_TRUSTED_PROXIES, ONRAMP_PUBLIC_URL: env.ONRAMP_PUBLIC_URL };
}

/** A request as @hono/node-server hands it over: from TCP peer `peer`, with `headers`. */
function from(app: App, peer: string, path: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
  return app.request(`${ORIGIN}${path}`, init, { incoming: { socket: { remoteAddress: peer } } });
}

/** A reports login with `token` from `peer`. */
function adminLogin(app: App, peer: string, token: string, headers: Record<string, string> = {}) {
  return from(app, peer, '/api/v1/admin/session', {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ token }),
  });
}

/** Ten wrong tokens: the admin lockout of whichever client they count for. */
async function tenWrongTokens(app: App, peer: string, headers: Record<string, string> = {}) {
  for (let i = 0; i < 10; i++) expect((await adminLogin(app, peer, `wrong-token-${i}-${'x'.repeat(32)}`, headers)).status).toBe(401);
}

describe('trusted proxies (ONRAMP_TRUSTED_PROXIES)', () => {
  it('start-up refuses an invalid entry, naming the variable; IPs and CIDRs are accepted', () => {
    expect(parseEnv({}).ONRAMP_TRUSTED_PROXIES).toEqual([]);
    expect(parseEnv({ ONRAMP_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1,::1' }).ONRAMP_TRUSTED_PROXIES).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
    for (const bad of ['proxy.example.com', '10.0.0.0/33', '10.0.0.1,300.1.1.1']) {
      expect(() => parseEnv({ ONRAMP_TRUSTED_PROXIES: bad })).toThrow(/^Invalid environment variable ONRAMP_TRUSTED_PROXIES: [^\n]+$/);
    }
  });

  it('without trusted proxies X-Forwarded-For is ignored: a client cannot pick its own bucket', async () => {
    const app = appWith();
    for (let i = 0; i < 10; i++) {
      const res = await adminLogin(app, '192.0.2.5', `wrong-token-${i}-${'x'.repeat(32)}`, { 'x-forwarded-for': `198.51.100.${i}` });
      expect(res.status).toBe(401);
    }
    expect((await adminLogin(app, '192.0.2.5', ADMIN_TOKEN, { 'x-forwarded-for': '198.51.100.99' })).status).toBe(429);
    expect((await adminLogin(app, '192.0.2.6', ADMIN_TOKEN)).status).toBe(200);
  });

  it('behind a trusted proxy the client is the right-most untrusted X-Forwarded-For address', async () => {
    const app = appWith({ proxies: `${PROXY}, 10.0.0.2` });
    // The client prepends a forged hop; the proxies append what they saw.
    await tenWrongTokens(app, PROXY, { 'x-forwarded-for': '203.0.113.1, 198.51.100.7, 10.0.0.2' });
    expect((await adminLogin(app, PROXY, ADMIN_TOKEN, { 'x-forwarded-for': '198.51.100.7' })).status).toBe(429);
    // Another client behind the same proxy, and the forged hop, are not locked.
    expect((await adminLogin(app, PROXY, ADMIN_TOKEN, { 'x-forwarded-for': '198.51.100.8' })).status).toBe(200);
    expect((await adminLogin(app, PROXY, ADMIN_TOKEN, { 'x-forwarded-for': '203.0.113.1' })).status).toBe(200);
    // An untrusted peer's X-Forwarded-For is still ignored.
    expect((await adminLogin(app, '192.0.2.9', ADMIN_TOKEN, { 'x-forwarded-for': '198.51.100.7' })).status).toBe(200);
  });

  it('the portal rate limits use the same client address', async () => {
    const app = appWith({ proxies: PROXY });
    const signup = (client: string) =>
      from(app, PROXY, '/api/v1/portal/signup', {
        method: 'POST',
        headers: { 'x-forwarded-for': client, origin: ORIGIN, 'content-type': 'application/json' },
        body: JSON.stringify({ email: uniqueEmail(), password: 'short' }),
      });
    // Twenty signup attempts per address an hour (counted before the password is judged).
    for (let i = 0; i < 20; i++) expect((await signup('198.51.100.20')).status).toBe(400);
    expect((await signup('198.51.100.20')).status).toBe(429);
    expect((await signup('198.51.100.21')).status).toBe(400);
  });

  it('X-Forwarded-Proto makes cookies Secure only when a trusted proxy sends it', async () => {
    const app = appWith({ proxies: PROXY });
    const spoofed = await adminLogin(app, '192.0.2.30', ADMIN_TOKEN, { 'x-forwarded-proto': 'https' });
    expect(spoofed.status).toBe(200);
    expect(spoofed.headers.get('set-cookie')).not.toContain('Secure');
    const proxied = await adminLogin(app, PROXY, ADMIN_TOKEN, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.30' });
    expect(proxied.headers.get('set-cookie')).toContain('Secure');
  });
});

describe('same-origin checks and Host', () => {
  it('with ONRAMP_PUBLIC_URL set, a forged Host does not make its Origin ours', async () => {
    const app = appWith({ publicUrl: 'https://portal.example.com' });
    const forged = { host: 'evil.example', origin: 'http://evil.example', 'content-type': 'application/json' };
    const portal = await app.request('http://evil.example/api/v1/portal/logout', { method: 'POST', headers: forged });
    expect(portal.status).toBe(403);
    const admin = await app.request('http://evil.example/api/v1/admin/session', {
      method: 'POST',
      headers: forged,
      body: JSON.stringify({ token: ADMIN_TOKEN }),
    });
    expect(admin.status).toBe(403);
    // The public origin is accepted.
    const own = { origin: 'https://portal.example.com', 'content-type': 'application/json' };
    expect((await app.request('http://evil.example/api/v1/portal/logout', { method: 'POST', headers: own })).status).toBe(200);
    expect(
      (await app.request('http://evil.example/api/v1/admin/session', { method: 'POST', headers: own, body: JSON.stringify({ token: ADMIN_TOKEN }) })).status,
    ).toBe(200);
  });

  it('without ONRAMP_PUBLIC_URL the Host header names our origin', async () => {
    const app = appWith();
    const headers = { origin: 'http://onramp.internal:8787', 'content-type': 'application/json' };
    expect((await app.request('http://onramp.internal:8787/api/v1/portal/logout', { method: 'POST', headers })).status).toBe(200);
    expect(
      (await app.request('http://onramp.internal:8787/api/v1/portal/logout', { method: 'POST', headers: { ...headers, origin: 'http://other.internal' } }))
        .status,
    ).toBe(403);
  });
});

describe('admin Bearer token guessing', () => {
  it('wrong Bearer tokens count in the client’s admin lockout, shared with the reports login', async () => {
    const app = appWith();
    const bearer = (token: string, peer = '192.0.2.40') => from(app, peer, '/api/v1/events', { headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 5; i++) expect((await bearer(`guess-${i}-${'y'.repeat(32)}`)).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await adminLogin(app, '192.0.2.40', `guess-${i}-${'z'.repeat(32)}`)).status).toBe(401);
    const locked = await bearer(ADMIN_TOKEN);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    expect((await adminLogin(app, '192.0.2.40', ADMIN_TOKEN)).status).toBe(429);
    // Other clients keep working.
    expect((await bearer(ADMIN_TOKEN, '192.0.2.41')).status).toBe(200);
  });

  it('start-up refuses a short admin token, or one with fewer than 16 different characters', () => {
    expect(() => parseEnv({ ONRAMP_ADMIN_TOKEN: 'onr_admin_0123456789abcdefghijkl' })).not.toThrow();
    expect(() => parseEnv({ ONRAMP_ADMIN_TOKEN: 'onr_admin_0123456789abcdefghijk' })).toThrow(
      /^Invalid environment variable ONRAMP_ADMIN_TOKEN: must be at least 32 characters$/,
    );
    expect(() => parseEnv({ ONRAMP_ADMIN_TOKEN: 'abcdefghijklmno'.repeat(3) })).toThrow(
      /^Invalid environment variable ONRAMP_ADMIN_TOKEN: must use at least 16 different characters/,
    );
    expect(ADMIN_TOKEN.length).toBeGreaterThanOrEqual(32);
    expect(parseEnv({ ONRAMP_ADMIN_TOKEN: ADMIN_TOKEN }).ONRAMP_ADMIN_TOKEN).toBe(ADMIN_TOKEN);
  });
});

describe('calls forged in another developer’s name', () => {
  it('are attributed to the prefix’s owner but marked key_verified: false, in the dashboard and on api_call', async () => {
    const app = appWith();
    const { client, account } = await signUp(app);
    const { secret } = await createKey(client, 'mine');
    const forged = `${secret.slice(0, 17)}${'Z'.repeat(32)}`;
    const call = (key: string, peer: string) => from(app, peer, '/sandbox/v1/messages', { headers: { authorization: `Bearer ${key}` } });
    expect((await call(secret, '198.51.100.50')).status).toBe(200);
    expect((await call(forged, '192.0.2.50')).status).toBe(401);

    const { calls } = (await (await client.get('/api/v1/portal/calls')).json()) as {
      calls: Array<{ status: number; key_verified: boolean; key_prefix: string }>;
    };
    expect(calls.map((c) => [c.status, c.key_verified, c.key_prefix])).toEqual([
      [401, false, secret.slice(0, 17)],
      [200, true, secret.slice(0, 17)],
    ]);
    const events = (await flushedEvents(app, `distinct_id=${account.id}`)).filter((e) => e.event === 'api_call');
    expect(events.map((e) => [e.properties.status, e.properties.key_verified]).sort()).toEqual([
      [200, true],
      [401, false],
    ]);
  });

  it('invalid-key calls are limited per client address: 60 a minute, then 429', async () => {
    const app = appWith();
    const { client } = await signUp(app);
    const { secret } = await createKey(client, 'mine');
    const forged = `${secret.slice(0, 17)}${'Q'.repeat(32)}`;
    const call = (peer: string) => from(app, peer, '/sandbox/v1/messages', { headers: { authorization: `Bearer ${forged}` } });
    for (let i = 0; i < 60; i++) expect((await call('192.0.2.60')).status).toBe(401);
    const limited = await call('192.0.2.60');
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call('192.0.2.61')).status).toBe(401);
    // The owner's valid key is not limited by it, and calls past the limit stay out of the owner's dashboard.
    expect((await from(app, '192.0.2.60', '/sandbox/v1/messages', { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    const { calls } = (await (await client.get('/api/v1/portal/calls?limit=200')).json()) as { calls: Array<{ status: number }> };
    expect(calls.filter((c) => c.status === 429)).toEqual([]);
    expect(calls).toHaveLength(62);
  });
});

describe('account lockout cannot be used as a weapon', () => {
  const login = (app: App, ip: string, email: string, password: string) => portalClient(app, { ip }).post('/api/v1/portal/login', { email, password });

  // Each failed login pays for one scrypt, so these take a while on a busy machine.
  it('failures from one or two addresses never lock the owner out from theirs; from three addresses they do', { timeout: 90_000 }, async () => {
    const app = appWith();
    const { email } = await signUp(app);
    for (const ip of ['192.0.2.70', '192.0.2.71']) {
      for (let i = 0; i < 10; i++) expect((await login(app, ip, email, `guess ${i}`)).status).toBe(401);
      expect((await login(app, ip, email, GOOD_PASSWORD)).status).toBe(429);
    }
    expect((await login(app, '203.0.113.10', email, GOOD_PASSWORD)).status).toBe(200);

    const { email: target } = await signUp(app);
    for (const ip of ['192.0.2.80', '192.0.2.81', '192.0.2.82']) {
      for (let i = 0; i < 4; i++) await login(app, ip, target, `guess ${i}`);
    }
    const locked = await login(app, '203.0.113.10', target, GOOD_PASSWORD);
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as { error: { code: string } }).error.code).toBe('account_locked');
  });

  it('one address failing on many emails is locked out of every login after thirty failures', { timeout: 90_000 }, async () => {
    const app = appWith();
    const { email } = await signUp(app);
    for (let i = 0; i < LOGIN_LOCKOUT.perClient; i++) expect((await login(app, '192.0.2.90', uniqueEmail('spray'), `guess ${i}`)).status).toBe(401);
    expect((await login(app, '192.0.2.90', email, GOOD_PASSWORD)).status).toBe(429);
    expect((await login(app, '192.0.2.91', email, GOOD_PASSWORD)).status).toBe(200);
  });

  it('the lockout arithmetic: ten failures need three addresses; fifty lock whatever their addresses', () => {
    const now = 1_000_000;
    const counter = (count: number) => ({ count, resetAt: now + 60_000 });
    const locked = (email: number, addresses: number, pair = 0, client = 0) =>
      loginLockedSeconds({ email: counter(email), emailAddresses: counter(addresses), emailAndClient: counter(pair), client: counter(client) }, now) > 0;
    expect([locked(10, 3), locked(10, 2), locked(49, 2), locked(50, 1), locked(9, 5)]).toEqual([true, false, false, true, false]);
    expect([locked(1, 1, 10), locked(1, 1, 9), locked(1, 1, 0, 30), locked(1, 1, 0, 29)]).toEqual([true, false, true, false]);
    // A counter whose window has ended locks nothing.
    expect(loginLockedSeconds({ email: { count: 50, resetAt: now }, emailAddresses: undefined, emailAndClient: undefined, client: undefined }, now)).toBe(0);
  });
});

describe('sandbox error doc_url (absolute, for terminals)', () => {
  /** The `doc_url` of an unauthenticated sandbox call from `peer` to `url`. */
  async function docUrl(app: App, peer: string, url: string, headers: Record<string, string> = {}) {
    const res = await app.request(url, { method: 'POST', headers }, { incoming: { socket: { remoteAddress: peer } } });
    expect(res.status).toBe(401);
    return ((await res.json()) as { error: { doc_url: string } }).error.doc_url;
  }

  it('is ONRAMP_PUBLIC_URL when set, whatever Host or X-Forwarded-Proto say', async () => {
    const app = appWith({ publicUrl: 'https://developers.example.com/', proxies: PROXY });
    const expected = 'https://developers.example.com/docs/errors/#missing_api_key';
    expect(await docUrl(app, '192.0.2.40', 'http://evil.example/sandbox/v1/messages')).toBe(expected);
    expect(await docUrl(app, PROXY, 'http://127.0.0.1:8787/sandbox/v1/messages', { 'x-forwarded-proto': 'http' })).toBe(expected);
  });

  it("is the request's origin otherwise, https only when a trusted proxy says so", async () => {
    const app = appWith({ proxies: PROXY });
    const url = 'http://api.test:8787/sandbox/v1/messages';
    expect(await docUrl(app, '192.0.2.41', url)).toBe('http://api.test:8787/docs/errors/#missing_api_key');
    expect(await docUrl(app, '192.0.2.41', url, { 'x-forwarded-proto': 'https' }), 'untrusted peer').toBe('http://api.test:8787/docs/errors/#missing_api_key');
    expect(await docUrl(app, PROXY, url, { 'x-forwarded-proto': 'https' })).toBe('https://api.test:8787/docs/errors/#missing_api_key');
  });

  it('holds for errors raised by the routes too, not only by the key check', async () => {
    const app = appWith();
    const { client } = await signUp(app);
    const { secret } = await createKey(client);
    const res = await app.request(
      'http://api.test/sandbox/v1/messages',
      { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: '{"to":"nope","body":"hi"}' },
      { incoming: { socket: { remoteAddress: '192.0.2.42' } } },
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { doc_url: string } }).error.doc_url).toBe('http://api.test/docs/errors/#parameter_invalid');
  });
});
