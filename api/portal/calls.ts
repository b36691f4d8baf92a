import { desc, eq } from 'drizzle-orm';
import type { OnrampDb } from '../../db/client.ts';
import { sandboxCalls } from '../../db/schema.ts';

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
  duration_ms: number;
  created_at: string;
}

/** Stores one sandbox call. */
export function recordCall(db: OnrampDb, call: CallRecord): void {
  db.insert(sandboxCalls).values(call).run();
}

/** The account's most recent calls, newest first. Only ever filtered by the session's own account id. */
export function recentCalls(db: OnrampDb, accountId: string, limit: number): CallView[] {
  return db
    .select()
    .from(sandboxCalls)
    .where(eq(sandboxCalls.accountId, accountId))
    .orderBy(desc(sandboxCalls.id))
    .limit(limit)
    .all()
    .map(callView);
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
    duration_ms: row.durationMs,
    created_at: new Date(row.createdAt).toISOString(),
  };
}
