/** PostgreSQL twin of api/portal/accounts.ts (the account and support-ticket queries of the portal routes). */
import { eq } from 'drizzle-orm';
import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { accounts, supportTickets } from '../../../db/schema-pg.ts';
import type { AccountRow, SupportTicketRow } from '../accounts.ts';

/** The account registered with this (normalised) email, or null. */
export async function findAccountByEmail(db: OnrampPgDb, email: string): Promise<AccountRow | null> {
  const [row] = await db.select().from(accounts).where(eq(accounts.email, email));
  return row ?? null;
}

/**
 * Stores a new account. Returns 'email_taken' when the email already has one; ON CONFLICT on the email decides a
 * race between instances without an error (and without aborting a surrounding transaction).
 */
export async function createAccount(db: OnrampPgDb, account: AccountRow): Promise<'created' | 'email_taken'> {
  const inserted = await db.insert(accounts).values(account).onConflictDoNothing({ target: accounts.email }).returning({ id: accounts.id });
  return inserted.length > 0 ? 'created' : 'email_taken';
}

/** Stores a support ticket. */
export async function createSupportTicket(db: OnrampPgDb, ticket: SupportTicketRow): Promise<void> {
  await db.insert(supportTickets).values(ticket);
}
