/** What every portal API call resolves to; network failures become an error message, never a throw. */
export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; code: string; message: string; retryAfter?: number };

/** The signed-in developer as `/api/v1/portal/me` returns it. */
export interface Account {
  id: string;
  email: string;
  created_at: string;
}

/**
 * Calls the portal JSON API on this origin with the session cookie. The browser adds `Origin`, which the
 * server's CSRF check compares with its own.
 */
export async function portalApi<T>(path: string, init: { method?: 'GET' | 'POST' | 'DELETE'; body?: unknown } = {}): Promise<ApiResult<T>> {
  try {
    const res = await fetch(`/api/v1/portal${path}`, {
      method: init.method ?? 'GET',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const payload: unknown = await res.json().catch(() => null);
    if (res.ok) return { ok: true, status: res.status, data: payload as T };
    const error = (payload as { error?: { code?: string; message?: string } } | null)?.error;
    const retryAfter = Number(res.headers.get('retry-after'));
    return {
      ok: false,
      status: res.status,
      code: error?.code ?? 'unknown',
      message: error?.message ?? `The server answered ${res.status}.`,
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfter } : {}),
    };
  } catch {
    return { ok: false, status: 0, code: 'network', message: 'Could not reach the server. Check your connection and try again.' };
  }
}

/** The signed-in account, or null. `/me` always answers 200, so a logged-out check logs no console error. */
export async function currentAccount(): Promise<Account | null> {
  const result = await portalApi<{ account: Account | null }>('/me');
  return result.ok ? result.data.account : null;
}

/**
 * A `next` target from the query string, accepted only as a same-site path (never `//host` or a full URL),
 * so a crafted login link cannot bounce a developer to another site.
 */
export function safeNext(search: string, fallback = '/dashboard/'): string {
  const next = new URLSearchParams(search).get('next');
  return next && /^\/(?![/\\])[^\s]*$/.test(next) ? next : fallback;
}

/** Turns a field-prefixed server message (`password: must be…`) into the field name and a sentence. */
export function splitFieldMessage(message: string): { field: string | null; text: string } {
  const match = /^([a-z_]+): (.*)$/s.exec(message);
  if (!match) return { field: null, text: message };
  const text = match[2]!;
  return { field: match[1]!, text: text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.') };
}
