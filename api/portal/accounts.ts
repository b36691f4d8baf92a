/** The account and support-ticket queries of the portal routes (api/routes/auth.ts, api/routes/support.ts). */
import { sql } from 'drizzle-orm';
import type { accounts, supportTickets } from '../../db/schema/sqlite.ts';
import type { SqlDatabase } from '../storage/sql/interface.ts';

/** An `accounts` row, password hash included (only the login check reads it). */
export type AccountRow = typeof accounts.$inferSelect;
/** A `support_tickets` row. */
export type SupportTicketRow = typeof supportTickets.$inferSelect;

/** The account registered with this (normalised) email, or null. */
export async function findAccountByEmail(database: SqlDatabase, email: string): Promise<AccountRow | null> {
  const row = await database.get<AccountRow>(
    sql`SELECT id, email, password_hash AS "passwordHash", created_at AS "createdAt" FROM accounts WHERE email = ${email}`,
  );
  return row ?? null;
}

/**
 * Stores a new account. Returns 'email_taken' when the email already has one: ON CONFLICT on the email decides a
 * race between two signups (or two instances) without an error. An id clash is still an error.
 */
export async function createAccount(database: SqlDatabase, account: AccountRow): Promise<'created' | 'email_taken'> {
  const inserted = await database.get(sql`
    INSERT INTO accounts (id, email, password_hash, created_at)
    VALUES (${account.id}, ${account.email}, ${account.passwordHash}, ${account.createdAt})
    ON CONFLICT (email) DO NOTHING
    RETURNING id`);
  return inserted ? 'created' : 'email_taken';
}

/** Stores a support ticket. */
export async function createSupportTicket(database: SqlDatabase, ticket: SupportTicketRow): Promise<void> {
  await database.run(sql`
    INSERT INTO support_tickets (id, account_id, topic, path, message, created_at)
    VALUES (${ticket.id}, ${ticket.accountId}, ${ticket.topic}, ${ticket.path}, ${ticket.message}, ${ticket.createdAt})`);
}
