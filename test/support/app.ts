import { openDb, type OnrampDb } from '../../db/client.ts';
import { createApp, type AppDeps } from '../../api/app.ts';

export const PROJECT_TOKEN = 'phc_test_token';
export const ADMIN_TOKEN = 'onr_admin_test_token_0123456789';

/** A fresh `:memory:` database, migrated from db/migrations. */
export function testDb(): OnrampDb {
  return openDb(':memory:');
}

/** The real app over a fresh in-memory database. */
export function testApp(overrides: Partial<AppDeps> = {}) {
  const db = overrides.db ?? testDb();
  const app = createApp({ db, env: { ONRAMP_PROJECT_TOKEN: PROJECT_TOKEN, ONRAMP_ADMIN_TOKEN: ADMIN_TOKEN }, ...overrides });
  return { app, db };
}

export const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Fetches `/api/v1/events` as the admin and returns the list. */
export async function listEvents(app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }, query = '') {
  const res = await app.request(`/api/v1/events?limit=1000${query ? `&${query}` : ''}`, { headers: adminHeaders });
  if (res.status !== 200) throw new Error(`events: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { events: Array<{ uuid: string; event: string; distinctId: string; personId: string; timestamp: string; properties: Record<string, unknown> }> }).events;
}
