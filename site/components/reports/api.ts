/**
 * Browser-side access to the reports API. Requests ride on the HttpOnly session cookie (same origin); the admin
 * token never touches page JavaScript after login. A 401 means the session ended, so the user goes to login.
 */

/** An API failure carrying the server's own `{ error: { message } }` text, shown to the user as is. */
export class ReportApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ReportApiError';
  }
}

/** Where the login page lives; `next` brings the user back to the exact view, query included. */
export function loginHref(next = `${location.pathname}${location.search}`): string {
  return `/reports/login/?next=${encodeURIComponent(next)}`;
}

/** `/api/v1/...?a=b` with parameters encoded. */
export function apiUrl(path: string, params: Record<string, string> = {}): string {
  const search = new URLSearchParams(params).toString();
  return search ? `${path}?${search}` : path;
}

async function errorFrom(res: Response): Promise<ReportApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.message) return new ReportApiError(res.status, body.error.message, body.error.code);
  } catch {
    // Not JSON: fall through to a generic message with the status.
  }
  return new ReportApiError(res.status, `The server answered ${res.status} ${res.statusText || ''}`.trim());
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * Sends one request to the admin API on the session cookie. Throws ReportApiError with the server's message,
 * redirects to login on 401, and resolves to null for a 204.
 */
export async function requestJson<T>(method: Method, url: string, body?: unknown, signal?: AbortSignal): Promise<T | null> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ReportApiError(0, 'Could not reach the Onramp server. Check that it is running and try again.');
  }
  if (res.status === 401) {
    location.assign(loginHref());
    throw new ReportApiError(401, 'Your session has ended. Redirecting to login…');
  }
  if (!res.ok) throw await errorFrom(res);
  return res.status === 204 ? null : ((await res.json()) as T);
}

/** GET a JSON report. Throws ReportApiError with the server's message; redirects to login on 401. */
export async function getJson<T>(path: string, params: Record<string, string> = {}, signal?: AbortSignal): Promise<T> {
  return (await requestJson<T>('GET', apiUrl(path, params), undefined, signal)) as T;
}

/** Whether this browser holds a live reports session (the endpoint answers 200 either way). */
export async function hasSession(): Promise<boolean> {
  const res = await fetch('/api/v1/admin/session', { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!res.ok) return false;
  return ((await res.json()) as { authenticated?: boolean }).authenticated === true;
}

/** Exchanges the admin token for the session cookie. Resolves on success, throws the server's message otherwise. */
export async function logIn(token: string): Promise<void> {
  const res = await fetch('/api/v1/admin/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (!res.ok) throw await errorFrom(res);
}

/** Ends the session server-side and clears the cookie. */
export async function logOut(): Promise<void> {
  await fetch('/api/v1/admin/session', { method: 'DELETE', credentials: 'same-origin' });
}
