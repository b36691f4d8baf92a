import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from './storage/sql/interface.ts';

/** The `settings` key the generated server token is kept under. */
export const SERVER_TOKEN_SETTING = 'server_token';

/** A new random server token (24 random bytes, base64url), recognisable by its prefix in logs and configs. */
export function newServerToken(): string {
  return `onr_server_${randomBytes(24).toString('base64url')}`;
}

/** Where the server token in use came from, so start-up can say whether to print it. */
export type ServerTokenSource = 'env' | 'stored' | 'generated';

/**
 * The server token: ONRAMP_SERVER_TOKEN when set (it wins, and nothing is stored), else the one kept in the
 * `settings` table, generated and stored on the first start. Instances starting together on one database agree:
 * the insert keeps whichever row was written first, and every instance reads that row back.
 */
export async function resolveServerToken(
  database: SqlDatabase,
  fromEnv: string | undefined,
  now = Date.now(),
): Promise<{ token: string; source: ServerTokenSource }> {
  if (fromEnv) return { token: fromEnv, source: 'env' };
  const candidate = newServerToken();
  const inserted = await database.run(
    sql`INSERT INTO settings (key, value, created_at) VALUES (${SERVER_TOKEN_SETTING}, ${candidate}, ${now}) ON CONFLICT (key) DO NOTHING`,
  );
  const row = await database.get<{ value: string }>(sql`SELECT value FROM settings WHERE key = ${SERVER_TOKEN_SETTING}`);
  if (!row) throw new Error('settings: the server token row vanished right after it was written');
  return { token: row.value, source: inserted > 0 ? 'generated' : 'stored' };
}
