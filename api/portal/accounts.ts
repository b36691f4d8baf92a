/** The account and support-ticket queries of the portal routes (api/routes/auth.ts, api/routes/support.ts). */
import { eq } from 'drizzle-orm';
import type { OnrampDb } from '../../db/client.ts';
import { accounts, supportTickets } from '../../db/schema.ts';

/** An `accounts` row, password hash included (only the login check reads it). */
export type AccountRow = typeof accounts.$inferSelect;
/** A `support_tickets` row. */
export type SupportTicketRow = typeof supportTickets.$inferSelect;

/** The account registered with this (normalised) email, or null. */
export function findAccountByEmail(db: OnrampDb, email: string): AccountRow | null {
  return db.select().from(accounts).where(eq(accounts.email, email)).get() ?? null;
}

/**
 * Stores a new account. Returns 'email_taken' when the email already has one: two signups for one email racing
 * past the route's check are decided by the unique index.
 */
export function createAccount(db: OnrampDb, account: AccountRow): 'created' | 'email_taken' {
  try {
    db.insert(accounts).values(account).run();
    return 'created';
  } catch (err) {
    if (String((err as Error).message).includes('UNIQUE')) return 'email_taken';
    throw err;
  }
}

/** Stores a support ticket. */
export function createSupportTicket(db: OnrampDb, ticket: SupportTicketRow): void {
  db.insert(supportTickets).values(ticket).run();
}
