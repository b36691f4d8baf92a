import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, storedRows, testApp } from '../support/app.ts';
import { GOOD_PASSWORD, ORIGIN, portalClient, signUp, uniqueEmail } from './helpers.ts';

type ErrorBody = { error: { code: string; message: string } };

describe('signup', () => {
  it('creates the account, starts a session and returns the account id', async () => {
    const { app, db } = testApp();
    const client = portalClient(app);
    const email = uniqueEmail();
    const res = await client.post('/api/v1/portal/signup', { email: `  ${email.toUpperCase()} `, password: GOOD_PASSWORD });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { account: { id: string; email: string } };
    expect(body.account.id).toMatch(/^acct_[A-Za-z0-9]{20}$/);
    expect(body.account.email).toBe(email);
    const me = (await (await client.get('/api/v1/portal/me')).json()) as { account: { id: string } | null };
    expect(me.account?.id).toBe(body.account.id);

    const [row] = await storedRows<{ password_hash: string }>(db, 'SELECT password_hash FROM accounts WHERE id = ?', body.account.id);
    expect(row!.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{88}$/);
    expect(row!.password_hash).not.toContain(GOOD_PASSWORD);
  });

  it('sets an HttpOnly, SameSite=Lax session cookie, Secure only behind HTTPS', async () => {
    const plain = testApp().app;
    const res = await portalClient(plain).post('/api/v1/portal/signup', { email: uniqueEmail(), password: GOOD_PASSWORD });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^onramp_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/');
    expect(cookie).not.toContain('Secure');

    const https = await plain.request('https://portal.example.com/api/v1/portal/signup', {
      method: 'POST',
      headers: { origin: 'https://portal.example.com', 'content-type': 'application/json' },
      body: JSON.stringify({ email: uniqueEmail(), password: GOOD_PASSWORD }),
    });
    expect(https.status).toBe(201);
    expect(https.headers.get('set-cookie')).toContain('Secure');

    const { app: behindProxy } = testApp({
      env: { ONRAMP_PROJECT_TOKEN: 'phc_x', ONRAMP_ADMIN_TOKEN: ADMIN_TOKEN, ONRAMP_PUBLIC_URL: 'https://dev.example.com' },
    });
    const proxied = await portalClient(behindProxy, { origin: 'https://dev.example.com' }).post('/api/v1/portal/signup', {
      email: uniqueEmail(),
      password: GOOD_PASSWORD,
    });
    expect(proxied.headers.get('set-cookie')).toContain('Secure');
  });

  it('refuses a taken email with 409 and a clear message, whatever its case', async () => {
    const { app } = testApp();
    const { email } = await signUp(app);
    const res = await portalClient(app).post('/api/v1/portal/signup', { email: email.toUpperCase(), password: 'another long password' });
    expect(res.status).toBe(409);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('email_taken');
    expect(body.error.message).toMatch(/^email: .*already exists/);
  });

  describe.each([
    ['too short', 'short pw', /password: must be at least 10 characters/],
    ['nine characters', '123456789', /password: must be at least 10 characters/],
    ['one character repeated', 'aaaaaaaaaaaa', /password: must not be one character repeated/],
    ['too long', `${'x'.repeat(257)}y`, /password: must be at most 256 characters/],
  ])('weak password (%s)', (_label, password, message) => {
    it('is refused with 400 weak_password naming the field', async () => {
      const { app } = testApp();
      const res = await portalClient(app).post('/api/v1/portal/signup', { email: uniqueEmail(), password });
      expect(res.status).toBe(400);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe('weak_password');
      expect(body.error.message).toMatch(message);
    });
  });

  describe.each([
    ['no email', { password: GOOD_PASSWORD }, /^email: /],
    ['bad email', { email: 'not-an-email', password: GOOD_PASSWORD }, /^email: must be an email address/],
    ['number email', { email: 42, password: GOOD_PASSWORD }, /^email: /],
    ['no password', { email: 'a@example.com' }, /password: is required/],
    ['array body', [1, 2], /^body: must be a JSON object/],
  ])('bad signup input (%s)', (_label, input, message) => {
    it('is a 400 naming the field', async () => {
      const { app } = testApp();
      const res = await portalClient(app).post('/api/v1/portal/signup', input);
      expect(res.status).toBe(400);
      expect(((await res.json()) as ErrorBody).error.message).toMatch(message);
    });
  });

  it('answers malformed JSON with 400 naming body', async () => {
    const { app } = testApp();
    const res = await app.request('/api/v1/portal/signup', { method: 'POST', headers: { origin: ORIGIN }, body: '{"email":' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.message).toBe('body: must be a JSON object');
  });
});

describe('login and logout', () => {
  it('logs in with the right password and out again', async () => {
    const { app } = testApp();
    const { account, email } = await signUp(app);
    const client = portalClient(app);
    expect(((await (await client.get('/api/v1/portal/me')).json()) as { account: null }).account).toBeNull();
    const res = await client.post('/api/v1/portal/login', { email, password: GOOD_PASSWORD });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { account: { id: string } }).account.id).toBe(account.id);
    expect((await client.get('/api/v1/portal/keys')).status).toBe(200);

    const out = await client.post('/api/v1/portal/logout');
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/onramp_session=;.*Max-Age=0/);
    expect((await client.get('/api/v1/portal/keys')).status).toBe(401);
  });

  it('a logged-out session id is dead even if replayed', async () => {
    const { app } = testApp();
    const { client } = await signUp(app);
    const stolen = client.cookie()!;
    await client.post('/api/v1/portal/logout');
    const res = await app.request('/api/v1/portal/keys', { headers: { cookie: stolen } });
    expect(res.status).toBe(401);
  });

  it('answers a wrong password and an unknown email identically (no user enumeration)', async () => {
    const { app } = testApp();
    const { email } = await signUp(app);
    const wrong = await portalClient(app).post('/api/v1/portal/login', { email, password: 'not the password' });
    const unknown = await portalClient(app).post('/api/v1/portal/login', { email: uniqueEmail('ghost'), password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
    expect(await (await portalClient(app).post('/api/v1/portal/login', { email, password: 'x' })).json()).toEqual({
      error: { code: 'invalid_credentials', message: 'email or password is incorrect' },
    });
  });

  it('locks the address for 15 minutes after ten failed logins on one email, even for the right password', async () => {
    const { app } = testApp();
    const { email } = await signUp(app);
    const other = await signUp(app);
    const attacker = portalClient(app, { ip: '192.0.2.66' });
    for (let i = 0; i < 10; i++) {
      const res = await attacker.post('/api/v1/portal/login', { email, password: `guess number ${i}` });
      expect(res.status).toBe(401);
    }
    const locked = await attacker.post('/api/v1/portal/login', { email, password: GOOD_PASSWORD });
    expect(locked.status).toBe(429);
    const body = (await locked.json()) as ErrorBody;
    expect(body.error.code).toBe('account_locked');
    expect(body.error.message).toMatch(/try again in 15 minutes/);
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);

    // The owner, from their own address, and someone else's account are not affected.
    expect((await portalClient(app).post('/api/v1/portal/login', { email, password: GOOD_PASSWORD })).status).toBe(200);
    const fine = await portalClient(app).post('/api/v1/portal/login', { email: other.email, password: GOOD_PASSWORD });
    expect(fine.status).toBe(200);
  });

  it('a successful login resets the failure count', async () => {
    const { app } = testApp();
    const { email } = await signUp(app);
    const client = portalClient(app);
    for (let i = 0; i < 9; i++) expect((await client.post('/api/v1/portal/login', { email, password: 'wrong password' })).status).toBe(401);
    expect((await client.post('/api/v1/portal/login', { email, password: GOOD_PASSWORD })).status).toBe(200);
    // Without the reset this would be the tenth failure and the next login would be locked out.
    expect((await client.post('/api/v1/portal/login', { email, password: 'wrong password' })).status).toBe(401);
    expect((await client.post('/api/v1/portal/login', { email, password: GOOD_PASSWORD })).status).toBe(200);
  });
});

describe('sessions', () => {
  it('a new login replaces the session the browser had (no session fixation)', async () => {
    const { app } = testApp();
    const { client, email } = await signUp(app);
    const before = client.cookie()!;
    expect((await client.post('/api/v1/portal/login', { email, password: GOOD_PASSWORD })).status).toBe(200);
    expect(client.cookie()).not.toBe(before);
    expect((await app.request('/api/v1/portal/keys', { headers: { cookie: before } })).status).toBe(401);
    expect((await client.get('/api/v1/portal/keys')).status).toBe(200);
  });

  it('stores only a hash of the session id', async () => {
    const { app, db } = testApp();
    const { client } = await signUp(app);
    const id = client.cookie()!.split('=')[1]!;
    const rows = JSON.stringify(await storedRows(db, 'SELECT * FROM portal_sessions'));
    expect(rows).not.toContain(id);
  });

  it('refuses a body over 16 KiB with 413 before reading it all', async () => {
    const { app } = testApp();
    const res = await portalClient(app).post('/api/v1/portal/signup', { email: uniqueEmail(), password: 'x'.repeat(20_000) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorBody).error.code).toBe('payload_too_large');
  });
});

describe('CSRF', () => {
  it('refuses cookie-authenticated POST and DELETE from another origin', async () => {
    const { app } = testApp();
    const { client } = await signUp(app);
    const evil = { origin: 'https://evil.example' };
    const post = await client.post('/api/v1/portal/keys', { name: 'stolen' }, evil);
    expect(post.status).toBe(403);
    expect(((await post.json()) as ErrorBody).error.code).toBe('csrf_rejected');
    const { key } = (await (await client.post('/api/v1/portal/keys', { name: 'mine' })).json()) as { key: { id: string } };
    expect((await client.del(`/api/v1/portal/keys/${key.id}`, evil)).status).toBe(403);
    expect((await client.del(`/api/v1/portal/keys/${key.id}`, { origin: 'null' })).status).toBe(403);
    expect((await client.post('/api/v1/portal/logout', undefined, evil)).status).toBe(403);
    // The forged requests changed nothing.
    const keys = (await (await client.get('/api/v1/portal/keys')).json()) as { keys: Array<{ name: string; status: string }> };
    expect(keys.keys.map((k) => [k.name, k.status])).toEqual([['mine', 'active']]);
  });

  it('refuses a cross-site Sec-Fetch-Site without Origin, accepts same-origin', async () => {
    const { app } = testApp();
    const { client } = await signUp(app);
    const noOrigin = portalClient(app, { origin: null });
    // Same cookie, but the browser says the request came from another site.
    const cookieHeaders = { cookie: client.cookie()! };
    const cross = await noOrigin.post('/api/v1/portal/keys', { name: 'x' }, { ...cookieHeaders, 'sec-fetch-site': 'cross-site' });
    expect(cross.status).toBe(403);
    const same = await noOrigin.post('/api/v1/portal/keys', { name: 'x' }, { ...cookieHeaders, 'sec-fetch-site': 'same-origin' });
    expect(same.status).toBe(201);
  });

  it('refuses a form-encoded POST that carries no Origin at all (old browsers), like Hono csrf', async () => {
    const { app } = testApp();
    const { client } = await signUp(app);
    const res = await app.request('/api/v1/portal/keys', {
      method: 'POST',
      headers: { cookie: client.cookie()!, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=stolen',
    });
    expect(res.status).toBe(403);
    // A JSON call from a non-browser client (no Origin, no Sec-Fetch-Site) is not a CSRF vector and works.
    const json = await app.request('/api/v1/portal/keys', {
      method: 'POST',
      headers: { cookie: client.cookie()!, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'cli' }),
    });
    expect(json.status).toBe(201);
  });

  it('refuses a cross-origin login (login CSRF) and never reflects CORS on the portal API', async () => {
    const { app } = testApp();
    const { email } = await signUp(app);
    const res = await portalClient(app, { origin: 'https://evil.example' }).post('/api/v1/portal/login', { email, password: GOOD_PASSWORD });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
    const read = await app.request('/api/v1/portal/me', { headers: { origin: 'https://evil.example' } });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
    expect(read.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('rate limits', () => {
  it('limits signups per IP (20 an hour) with 429 and Retry-After', async () => {
    const { app } = testApp();
    for (let i = 0; i < 20; i++) {
      // Weak passwords are refused after the IP check, so these count without costing a scrypt each.
      const res = await portalClient(app, { ip: '192.0.2.1' }).post('/api/v1/portal/signup', { email: uniqueEmail(), password: 'short' });
      expect(res.status).toBe(400);
    }
    const limited = await portalClient(app, { ip: '192.0.2.1' }).post('/api/v1/portal/signup', { email: uniqueEmail(), password: GOOD_PASSWORD });
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as ErrorBody).error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(3500);
    // Another IP is unaffected.
    expect((await portalClient(app, { ip: '192.0.2.2' }).post('/api/v1/portal/signup', { email: uniqueEmail(), password: GOOD_PASSWORD })).status).toBe(201);
  });

  it('limits signups per email (5 an hour) across IPs', async () => {
    const { app } = testApp();
    const email = uniqueEmail();
    for (let i = 0; i < 5; i++) {
      const res = await portalClient(app, { ip: `192.0.2.${10 + i}` }).post('/api/v1/portal/signup', { email, password: GOOD_PASSWORD });
      expect(res.status).toBe(i === 0 ? 201 : 409);
    }
    const res = await portalClient(app, { ip: '192.0.2.99' }).post('/api/v1/portal/signup', { email, password: GOOD_PASSWORD });
    expect(res.status).toBe(429);
  });

  it('limits login attempts per IP (60 per 15 minutes)', async () => {
    const { app } = testApp();
    const client = portalClient(app, { ip: '192.0.2.50' });
    for (let i = 0; i < 60; i++) {
      // Missing password: refused after the IP check without hashing.
      expect((await client.post('/api/v1/portal/login', { email: `u${i}@example.com` })).status).toBe(400);
    }
    const res = await client.post('/api/v1/portal/login', { email: 'u@example.com', password: GOOD_PASSWORD });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('limits key creation per account (30 an hour)', async () => {
    const { app } = testApp();
    const { client } = await signUp(app);
    for (let i = 0; i < 30; i++) expect((await client.post('/api/v1/portal/keys', { name: `k${i}` })).status).toBe(201);
    const res = await client.post('/api/v1/portal/keys', { name: 'one too many' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await (await client.get('/api/v1/portal/keys')).json()) as { keys: unknown[] }).keys).toHaveLength(30);
  });

  it('keeps rate-limit state in the database', async () => {
    const { app, db } = testApp();
    await portalClient(app, { ip: '192.0.2.7' }).post('/api/v1/portal/login', { email: 'a@example.com', password: 'whatever else' });
    const rows = await storedRows<{ bucket: string; count: number }>(db, 'SELECT bucket, count FROM rate_limits');
    expect(rows.map((r) => r.bucket.replace(/[0-9a-f]{64}/g, '<hash>')).sort()).toEqual([
      'login:email:<hash>',
      'login:ip:<hash>',
      'login_fail:<hash>',
      'login_fail:<hash>:<hash>',
      'login_fail_addresses:<hash>',
      'login_fail_client:<hash>',
    ]);
    expect(rows.every((r) => r.count === 1)).toBe(true);
    // Subjects are hashed: no raw IP or email in the table.
    expect(JSON.stringify(rows)).not.toContain('192.0.2.7');
    expect(JSON.stringify(rows)).not.toContain('a@example.com');
  });
});
