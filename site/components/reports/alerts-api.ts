/**
 * Writes to the admin alerts API (`/api/v1/alerts`). Reads go through api.ts `getJson`; api.ts has no helper for
 * POST/PATCH/DELETE, so this adds one with the same conventions: session cookie, the server's `{ error: { message } }`
 * text as a ReportApiError, and a 401 sending the user to login.
 */
import { loginHref, ReportApiError } from './api.ts';
import type { AlertCheckResponse, AlertRuleJson } from './alerts-shape.ts';

const BASE = '/api/v1/alerts';

async function send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T | null> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ReportApiError(0, 'Could not reach the Onramp server. Check that it is running and try again.');
  }
  if (res.status === 401) {
    location.assign(loginHref());
    throw new ReportApiError(401, 'Your session has ended. Redirecting to login…');
  }
  if (!res.ok) {
    const parsed = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    const message = parsed?.error?.message ?? `The server answered ${res.status} ${res.statusText || ''}`.trim();
    throw new ReportApiError(res.status, message, parsed?.error?.code);
  }
  return res.status === 204 ? null : ((await res.json()) as T);
}

/** `POST /api/v1/alerts`. */
export async function createRule(body: Record<string, unknown>): Promise<AlertRuleJson> {
  return (await send<AlertRuleJson>('POST', BASE, body))!;
}

/** `PATCH /api/v1/alerts/:id`. */
export async function updateRule(id: string, body: Record<string, unknown>): Promise<AlertRuleJson> {
  return (await send<AlertRuleJson>('PATCH', `${BASE}/${encodeURIComponent(id)}`, body))!;
}

/** `DELETE /api/v1/alerts/:id` (204). */
export async function deleteRule(id: string): Promise<void> {
  await send('DELETE', `${BASE}/${encodeURIComponent(id)}`);
}

/** `POST /api/v1/alerts/:id/check`: evaluates the rule now and delivers any new alert. */
export async function checkRule(id: string): Promise<AlertCheckResponse> {
  return (await send<AlertCheckResponse>('POST', `${BASE}/${encodeURIComponent(id)}/check`))!;
}

/** Path of a rule's delivery log, for `useApi`. */
export function deliveriesPath(id: string): string {
  return `${BASE}/${encodeURIComponent(id)}/deliveries`;
}

export const RULES_PATH = BASE;
