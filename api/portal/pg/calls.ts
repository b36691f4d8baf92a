/** PostgreSQL twin of api/portal/calls.ts; the view mapping is the SQLite module's. */
import { desc, eq } from 'drizzle-orm';
import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { sandboxCalls } from '../../../db/schema-pg.ts';
import { callView, type CallRecord, type CallView } from '../calls.ts';

/** Stores one sandbox call. */
export async function recordCall(db: OnrampPgDb, call: CallRecord): Promise<void> {
  await db.insert(sandboxCalls).values(call);
}

/** The account's most recent calls, newest first. Only ever filtered by the session's own account id. */
export async function recentCalls(db: OnrampPgDb, accountId: string, limit: number): Promise<CallView[]> {
  const rows = await db.select().from(sandboxCalls).where(eq(sandboxCalls.accountId, accountId)).orderBy(desc(sandboxCalls.id)).limit(limit);
  return rows.map(callView);
}
