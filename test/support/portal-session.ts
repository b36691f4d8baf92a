import type { BrowserContext } from 'playwright-core';
import type { RunningServer } from './server.ts';

/** A password the portal accepts. */
export const PASSWORD = 'a long enough passphrase';

/** POSTs JSON as the context's browser would (its cookies, a same-origin `Origin`), and returns the parsed answer. */
export async function postAs(context: BrowserContext, server: RunningServer, path: string, data: unknown, expected = 200): Promise<any> {
  const res = await context.request.post(`${server.url}${path}`, { data, headers: { origin: server.url } });
  if (res.status() !== expected) throw new Error(`POST ${path}: ${res.status()} ${await res.text()}`);
  return res.json();
}

/** Signs a new developer up in `context` (the session cookie lands in it) and returns the email and account id. */
export async function signUpIn(context: BrowserContext, server: RunningServer, name: string): Promise<{ email: string; accountId: string }> {
  const email = `${name}.${Date.now()}@example.com`;
  const { account } = await postAs(context, server, '/api/v1/portal/signup', { email, password: PASSWORD }, 201);
  return { email, accountId: account.id };
}

/** Logs `email` in again in `context`. */
export async function logIn(context: BrowserContext, server: RunningServer, email: string): Promise<void> {
  await postAs(context, server, '/api/v1/portal/login', { email, password: PASSWORD });
}

/** Signs the context in to the reports with the admin token (an HttpOnly session cookie, as the login form does). */
export async function adminSignIn(context: BrowserContext, server: RunningServer): Promise<void> {
  await postAs(context, server, '/api/v1/admin/session', { token: server.adminToken });
}

/** A sandbox call with `key`; returns the status. */
export async function sandboxCall(server: RunningServer, key: string): Promise<number> {
  const res = await fetch(`${server.url}/sandbox/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ to: '+15551234567', body: 'hello' }),
  });
  return res.status;
}

/** The same key with its last character changed: the public prefix still names the owner, the secret is wrong. */
export function mistyped(key: string): string {
  return key.slice(0, -1) + (key.endsWith('x') ? 'y' : 'x');
}
