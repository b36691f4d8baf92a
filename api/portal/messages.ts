import { sql } from 'drizzle-orm';
import type { sandboxMessages } from '../../db/schema/sqlite.ts';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import { newId } from './ids.ts';

/** The sandbox message resource, exactly as the API returns it. */
export interface Message {
  id: string;
  object: 'message';
  to: string;
  body: string;
  status: string;
  created: number;
}

/** The columns of a `sandbox_messages` row, as both dialects read them. */
export type MessageRow = typeof sandboxMessages.$inferSelect;

/** The API resource of a message row. */
export function toMessage(row: MessageRow): Message {
  return { id: row.id, object: 'message', to: row.to, body: row.body, status: row.status, created: Math.floor(row.createdAt / 1000) };
}

/** The columns of a new message (its `seq` comes from the database). */
export function newMessageValues(owner: { accountId: string; keyId: string }, input: { to: string; body: string }, now: number): Omit<MessageRow, 'seq'> {
  return { id: newId.message(), accountId: owner.accountId, keyId: owner.keyId, to: input.to, body: input.body, status: 'queued', createdAt: now };
}

/** Every column of `sandbox_messages`, named as {@link MessageRow} names them (`to` is a keyword in PostgreSQL). */
const MESSAGE_COLUMNS = sql.raw('seq, id, account_id AS "accountId", key_id AS "keyId", "to", body, status, created_at AS "createdAt"');

/** Stores a new queued message for the owner's key. */
export async function createMessage(
  database: SqlDatabase,
  owner: { accountId: string; keyId: string },
  input: { to: string; body: string },
  now = Date.now(),
): Promise<Message> {
  const v = newMessageValues(owner, input, now);
  const row = await database.get<MessageRow>(sql`
    INSERT INTO sandbox_messages (id, account_id, key_id, "to", body, status, created_at)
    VALUES (${v.id}, ${v.accountId}, ${v.keyId}, ${v.to}, ${v.body}, ${v.status}, ${v.createdAt})
    RETURNING ${MESSAGE_COLUMNS}`);
  return toMessage(row!);
}

/** A message of this owner, or null (another owner's message id looks like a missing one). */
export async function getMessage(database: SqlDatabase, accountId: string, id: string): Promise<Message | null> {
  const row = await database.get<MessageRow>(sql`SELECT ${MESSAGE_COLUMNS} FROM sandbox_messages WHERE id = ${id} AND account_id = ${accountId}`);
  return row ? toMessage(row) : null;
}

/** Opaque cursor: base64url of `v1:<seq>`; callers must treat it as a token. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`v1:${seq}`).toString('base64url');
}

/** The sequence number inside a cursor, or null when it is not one this API issued. */
export function decodeCursor(cursor: string): number | null {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(cursor)) return null;
  const match = /^v1:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : null;
}

/** One page, newest first, after the cursor's position. */
export async function listMessages(database: SqlDatabase, accountId: string, limit: number, afterSeq: number | null) {
  const after = afterSeq === null ? sql`` : sql`AND seq < ${afterSeq}`;
  const rows = await database.all<MessageRow>(
    sql`SELECT ${MESSAGE_COLUMNS} FROM sandbox_messages WHERE account_id = ${accountId} ${after} ORDER BY seq DESC LIMIT ${limit + 1}`,
  );
  return messagePage(rows, limit);
}

/** A list page from up to `limit + 1` rows newest first: the extra row only says that there is more. */
export function messagePage(rows: MessageRow[], limit: number) {
  const page = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  const last = page[page.length - 1];
  return {
    object: 'list' as const,
    data: page.map(toMessage),
    has_more: hasMore,
    next_cursor: hasMore && last ? encodeCursor(last.seq) : null,
  };
}
