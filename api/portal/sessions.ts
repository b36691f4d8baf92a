import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { ApiError } from '../errors.ts';
import { isHttps } from '../middleware/client-address.ts';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import type { PortalStore } from '../storage/types.ts';
import { sha256Hex } from './ids.ts';

/** Name of the HttpOnly cookie that carries a developer's portal session id. */
export const SESSION_COOKIE = 'onramp_session';
/** A week: developers come back to the dashboard over several days while integrating. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** The signed-in developer, as routes see it. */
export interface SessionAccount {
  id: string;
  email: string;
  createdAt: number;
}

/** Variables the session middleware puts on the context. */
export interface PortalVariables {
  account: SessionAccount;
}

/** A new session: the id for the cookie and the row to store, which holds only the id's sha256. */
export function newSession(accountId: string, now: number) {
  const id = randomBytes(32).toString('base64url');
  return { id, row: { idHash: sha256Hex(id), accountId, createdAt: now, expiresAt: now + SESSION_TTL_MS } };
}

/** The raw session cookie of the request, if any (not checked: only ever hashed to delete a row). */
export function sessionCookie(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

/** The sha256 of the request's session id when the cookie is well formed, so junk cookies never reach the database. */
export function presentedSessionHash(c: Context): string | null {
  const id = getCookie(c, SESSION_COOKIE);
  return id && /^[A-Za-z0-9_-]{43}$/.test(id) ? sha256Hex(id) : null;
}

/** Creates a session row (storing only the sha256 of its id) and sets the cookie. */
export async function startSession(c: Context, database: SqlDatabase, accountId: string, publicUrl: string | undefined, now = Date.now()): Promise<void> {
  await database.run(sql`DELETE FROM portal_sessions WHERE expires_at <= ${now}`);
  // A new login always gets a new id; the session this browser had before (if any) ends, so a planted
  // cookie cannot be carried into the new login (session fixation).
  const previous = sessionCookie(c);
  if (previous) await database.run(sql`DELETE FROM portal_sessions WHERE id_hash = ${sha256Hex(previous)}`);
  const { id, row } = newSession(accountId, now);
  await database.run(
    sql`INSERT INTO portal_sessions (id_hash, account_id, created_at, expires_at) VALUES (${row.idHash}, ${row.accountId}, ${row.createdAt}, ${row.expiresAt})`,
  );
  setSessionCookie(c, id, publicUrl);
}

/** Sets the HttpOnly session cookie carrying `id`. */
export function setSessionCookie(c: Context, id: string, publicUrl: string | undefined): void {
  setCookie(c, SESSION_COOKIE, id, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: isHttps(c, publicUrl),
    path: '/',
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}

/** The account behind the request's session cookie, or null. */
export async function sessionAccount(c: Context, database: SqlDatabase, now = Date.now()): Promise<SessionAccount | null> {
  const idHash = presentedSessionHash(c);
  if (!idHash) return null;
  const row = await database.get<{ id: string; email: string; createdAt: number }>(sql`
    SELECT accounts.id, accounts.email, accounts.created_at AS "createdAt"
    FROM portal_sessions JOIN accounts ON accounts.id = portal_sessions.account_id
    WHERE portal_sessions.id_hash = ${idHash} AND portal_sessions.expires_at > ${now}`);
  return row ?? null;
}

/** Deletes the request's session (if any) and clears the cookie. */
export async function endSession(c: Context, database: SqlDatabase, publicUrl: string | undefined): Promise<void> {
  const id = sessionCookie(c);
  if (id) await database.run(sql`DELETE FROM portal_sessions WHERE id_hash = ${sha256Hex(id)}`);
  clearSessionCookie(c, publicUrl);
}

/** Removes the session cookie from the browser. */
export function clearSessionCookie(c: Context, publicUrl: string | undefined): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Lax', secure: isHttps(c, publicUrl) });
}

/** The 401 a request without a valid portal session gets. */
export function notLoggedIn(): ApiError {
  return new ApiError(401, 'not_logged_in', 'session: log in to the portal first');
}

/**
 * Requires a portal session cookie. Only the cookie counts: an `Authorization` header (a sandbox key, or the
 * admin token) is never a portal credential.
 */
export function requireSession(portal: Pick<PortalStore, 'sessionAccount'>): MiddlewareHandler<{ Variables: PortalVariables }> {
  return async (c, next) => {
    const account = await portal.sessionAccount(c);
    if (!account) throw notLoggedIn();
    c.set('account', account);
    await next();
  };
}
