/** PostgreSQL twin of api/portal/messages.ts; ids, cursors and page shaping are the SQLite module's. */
import { and, desc, eq, lt } from 'drizzle-orm';
import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { sandboxMessages } from '../../../db/schema-pg.ts';
import { messagePage, newMessageValues, toMessage, type Message } from '../messages.ts';

/** Stores a new queued message for the owner's key. */
export async function createMessage(
  db: OnrampPgDb,
  owner: { accountId: string; keyId: string },
  input: { to: string; body: string },
  now = Date.now(),
): Promise<Message> {
  const [row] = await db.insert(sandboxMessages).values(newMessageValues(owner, input, now)).returning();
  return toMessage(row!);
}

/** A message of this owner, or null (another owner's message id looks like a missing one). */
export async function getMessage(db: OnrampPgDb, accountId: string, id: string): Promise<Message | null> {
  const [row] = await db
    .select()
    .from(sandboxMessages)
    .where(and(eq(sandboxMessages.id, id), eq(sandboxMessages.accountId, accountId)));
  return row ? toMessage(row) : null;
}

/** One page, newest first, after the cursor's position (`afterSeq` from `decodeCursor`). */
export async function listMessages(db: OnrampPgDb, accountId: string, limit: number, afterSeq: number | null) {
  const rows = await db
    .select()
    .from(sandboxMessages)
    .where(and(eq(sandboxMessages.accountId, accountId), afterSeq === null ? undefined : lt(sandboxMessages.seq, afterSeq)))
    .orderBy(desc(sandboxMessages.seq))
    .limit(limit + 1);
  return messagePage(rows, limit);
}
