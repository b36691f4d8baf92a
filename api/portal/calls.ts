import { sql } from 'drizzle-orm';
import type { sandboxCalls } from '../../db/schema/sqlite.ts';
import type { SqlDatabase } from '../storage/sql/interface.ts';

/** One sandbox call as recorded at request time. */
export interface CallRecord {
  accountId: string | null;
  keyPrefix: string | null;
  method: string;
  endpoint: string;
  status: number;
  errorCode: string | null;
  durationMs: number;
  createdAt: number;
}

/** A call as the dashboard shows it. */
export interface CallView {
  id: number;
  method: string;
  endpoint: string;
  status: number;
  error_code: string | null;
  key_prefix: string | null;
  /** False for a call made in this developer's name with a wrong secret (a mistyped key, or a forged call). */
  key_verified: boolean;
  duration_ms: number;
  created_at: string;
}

/** Stores one sandbox call. */
export async function recordCall(database: SqlDatabase, call: CallRecord): Promise<void> {
  await database.run(sql`
    INSERT INTO sandbox_calls (account_id, key_prefix, method, endpoint, status, error_code, duration_ms, created_at)
    VALUES (${call.accountId}, ${call.keyPrefix}, ${call.method}, ${call.endpoint}, ${call.status}, ${call.errorCode}, ${call.durationMs}, ${call.createdAt})`);
}

/** The account's most recent calls, newest first. Only ever filtered by the session's own account id. */
export async function recentCalls(database: SqlDatabase, accountId: string, limit: number): Promise<CallView[]> {
  const rows = await database.all<typeof sandboxCalls.$inferSelect>(sql`
    SELECT id, account_id AS "accountId", key_prefix AS "keyPrefix", method, endpoint, status, error_code AS "errorCode",
           duration_ms AS "durationMs", created_at AS "createdAt"
    FROM sandbox_calls WHERE account_id = ${accountId} ORDER BY id DESC LIMIT ${limit}`);
  return rows.map(callView);
}

/** The dashboard view of a `sandbox_calls` row. */
export function callView(row: typeof sandboxCalls.$inferSelect): CallView {
  return {
    id: row.id,
    method: row.method,
    endpoint: row.endpoint,
    status: row.status,
    error_code: row.errorCode,
    key_prefix: row.keyPrefix,
    // An attributed call answered invalid_api_key carried the developer's public prefix but not their secret: the
    // only path to that code once a key names an owner (api/routes/sandbox.ts).
    key_verified: !(row.accountId !== null && row.errorCode === 'invalid_api_key'),
    duration_ms: row.durationMs,
    created_at: new Date(row.createdAt).toISOString(),
  };
}
