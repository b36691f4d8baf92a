import { listEvents, type testApp } from '../support/app.ts';

/** The origin `app.request()` gives relative URLs; a same-origin browser request carries it. */
export const ORIGIN = 'http://localhost';

type AppLike = ReturnType<typeof testApp>['app'];

/** Connection info as @hono/node-server passes it, so per-IP limits see a client address in-process. */
function connection(ip: string) {
  return { incoming: { socket: { remoteAddress: ip } } };
}

/**
 * A browser-like client for the portal API: keeps the session cookie, sends a same-origin `Origin` header and a
 * fixed client IP.
 */
export function portalClient(app: AppLike, opts: { ip?: string; origin?: string | null } = {}) {
  let cookie: string | undefined;
  const ip = opts.ip ?? '203.0.113.10';
  const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const h: Record<string, string> = { ...headers };
    if (opts.origin !== null) h.origin ??= opts.origin ?? ORIGIN;
    if (cookie) h.cookie = cookie;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await app.request(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) }, connection(ip));
    const set = res.headers.get('set-cookie');
    if (set?.startsWith('onramp_session=')) {
      const value = set.split(';')[0]!;
      cookie = value === 'onramp_session=' ? undefined : value;
    }
    return res;
  };
  return {
    get: (path: string) => request('GET', path),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => request('POST', path, body, headers),
    del: (path: string, headers?: Record<string, string>) => request('DELETE', path, undefined, headers),
    cookie: () => cookie,
  };
}

export type PortalClient = ReturnType<typeof portalClient>;

let emailCounter = 0;
/** A unique email per call. */
export function uniqueEmail(name = 'dev') {
  emailCounter += 1;
  return `${name}${emailCounter}.${Date.now()}@example.com`;
}

export const GOOD_PASSWORD = 'correct horse battery';

/** Signs a new developer up and returns the client (logged in) and account id. */
export async function signUp(app: AppLike, opts: { ip?: string; email?: string } = {}) {
  const client = portalClient(app, { ip: opts.ip });
  const email = opts.email ?? uniqueEmail();
  const res = await client.post('/api/v1/portal/signup', { email, password: GOOD_PASSWORD });
  if (res.status !== 201) throw new Error(`signup: ${res.status} ${await res.text()}`);
  const { account } = (await res.json()) as { account: { id: string; email: string } };
  return { client, account, email };
}

/** Creates a key through the dashboard API and returns the one-time secret and key. */
export async function createKey(client: PortalClient, name = 'my key') {
  const res = await client.post('/api/v1/portal/keys', { name });
  if (res.status !== 201) throw new Error(`create key: ${res.status} ${await res.text()}`);
  return (await res.json()) as { secret: string; key: { id: string; prefix: string; name: string; status: string } };
}

/** A sandbox request with a key. */
export function sandbox(app: AppLike, path: string, key: string | null, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  return app.request(path, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body }, connection('198.51.100.7'));
}

/** Flushes the app's posthog-node client, then lists the stored events (optionally for one person). */
export async function flushedEvents(app: AppLike, query = '') {
  await app.telemetry.flush();
  return listEvents(app, query);
}
