/**
 * PostgreSQL twin of api/portal/keys.ts: the same functions over {@link OnrampPgDb}. Everything but the SQL (secret
 * minting, hashing, views, the key check itself) is imported from the SQLite module.
 */
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { apiKeys } from '../../../db/schema-pg.ts';
import { judgeKey, keyLookupFor, keyView, newKeyRow, type KeyCheck, type KeyView } from '../keys.ts';

/** Attempts before a prefix collision (1 in 62^8 per pair) is given up on, as in the SQLite module. */
const CREATE_ATTEMPTS = 4;

/**
 * Creates a key for `accountId`. Returns the full secret exactly once; the table keeps its sha256 and the public
 * prefix only. A prefix collision makes the insert a no-op (ON CONFLICT DO NOTHING) and is retried with a new key.
 */
export async function createKey(db: OnrampPgDb, accountId: string, name: string, now = Date.now()): Promise<{ key: KeyView; secret: string }> {
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    const { secret, row: values } = newKeyRow(accountId, name, now);
    const [row] = await db.insert(apiKeys).values(values).onConflictDoNothing({ target: apiKeys.prefix }).returning();
    if (row) return { key: keyView(row), secret };
  }
  throw new Error(`createKey: ${CREATE_ATTEMPTS} key prefixes in a row were already taken`);
}

/** The account's keys, newest first. */
export async function listKeys(db: OnrampPgDb, accountId: string): Promise<KeyView[]> {
  const rows = await db.select().from(apiKeys).where(eq(apiKeys.accountId, accountId)).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
  return rows.map(keyView);
}

/**
 * Revokes one of the account's keys. Returns null when the id is not one of this account's keys, so another
 * developer's key id looks exactly like a missing one. Revoking twice keeps the first revocation time.
 */
export async function revokeKey(
  db: OnrampPgDb,
  accountId: string,
  keyId: string,
  now = Date.now(),
): Promise<{ key: KeyView; changed: boolean } | null> {
  const [updated] = await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAt)))
    .returning();
  if (updated) return { key: keyView(updated), changed: true };
  const [existing] = await db.select().from(apiKeys).where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)));
  return existing ? { key: keyView(existing), changed: false } : null;
}

/** Checks a presented key: by prefix to find the owner, then the sha256 of the whole key in constant time. */
export async function checkKey(db: OnrampPgDb, presented: string): Promise<KeyCheck> {
  const lookup = keyLookupFor(presented);
  if ('answer' in lookup) return lookup.answer;
  const [row] = await db
    .select({ id: apiKeys.id, accountId: apiKeys.accountId, keyHash: apiKeys.keyHash, revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .where(eq(apiKeys.prefix, lookup.prefix));
  return judgeKey(presented, lookup.prefix, row);
}

/** Remembers when a key was last used (shown in the dashboard). */
export async function touchKey(db: OnrampPgDb, keyId: string, now = Date.now()): Promise<void> {
  await db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, keyId));
}
