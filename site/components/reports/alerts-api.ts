/** Writes to the admin alerts API (`/api/v1/alerts`) through api.ts `requestJson`. */

import type { AlertCheckResponse, AlertRuleJson } from './alerts-shape.ts';
import { requestJson } from './api.ts';

const BASE = '/api/v1/alerts';
const send = requestJson;

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
