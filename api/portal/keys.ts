import { and, desc, eq, isNull } from 'drizzle-orm';
import { timingSafeEqual } from 'node:crypto';
import type { OnrampDb } from '../../db/client.ts';
import { apiKeys } from '../../db/schema.ts';
import { newId, randomBase62, sha256Hex } from './ids.ts';

export const TEST_KEY_PREFIX = 'onr_test_';
export const LIVE_KEY_PREFIX = 'onr_live_';
const PUBLIC_ID_LENGTH = 8;
const SECRET_LENGTH = 32;
/** Public part of a well-formed key: `onr_test_` + 8 base62 characters. */
const PREFIX_RE = /^onr_test_[A-Za-z0-9]{8}/;
const FULL_KEY_RE = /^onr_test_[A-Za-z0-9]{40}$/;

/** A key as the dashboard lists it; never contains the secret. */
export interface KeyView {
  id: string;
  name: string;
  prefix: string;
  status: 'active' | 'revoked';
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** The columns of an `api_keys` row, as both dialects read them. */
export type KeyRow = typeof apiKeys.$inferSelect;

/** The dashboard view of a key row. */
export function keyView(row: KeyRow): KeyView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    status: row.revokedAt === null ? 'active' : 'revoked',
    created_at: new Date(row.createdAt).toISOString(),
    last_used_at: iso(row.lastUsedAt),
    revoked_at: iso(row.revokedAt),
  };
}

/** The public prefix of a presented key (`onr_test_<8>`), or null when it does not even start like one. */
export function publicPrefixOf(presented: string): string | null {
  return PREFIX_RE.exec(presented)?.[0] ?? null;
}

/** A fresh key: the full secret (shown once) and the row to store, which holds only its sha256 and public prefix. */
export function newKeyRow(accountId: string, name: string, now: number): { secret: string; row: KeyRow } {
  const prefix = TEST_KEY_PREFIX + randomBase62(PUBLIC_ID_LENGTH);
  const secret = prefix + randomBase62(SECRET_LENGTH);
  const row = { id: newId.apiKey(), accountId, name, prefix, keyHash: sha256Hex(secret), createdAt: now, revokedAt: null, lastUsedAt: null };
  return { secret, row };
}

/**
 * Creates a key for `accountId`. Returns the full secret exactly once; the table keeps its sha256 and the public
 * prefix only. A prefix collision (1 in 62^8 per pair) is retried.
 */
export function createKey(db: OnrampDb, accountId: string, name: string, now = Date.now()): { key: KeyView; secret: string } {
  for (let attempt = 0; ; attempt++) {
    const { secret, row: values } = newKeyRow(accountId, name, now);
    try {
      const row = db.insert(apiKeys).values(values).returning().get();
      return { key: keyView(row), secret };
    } catch (err) {
      if (attempt < 3 && String((err as Error).message).includes('UNIQUE')) continue;
      throw err;
    }
  }
}

/** The account's keys, newest first. */
export function listKeys(db: OnrampDb, accountId: string): KeyView[] {
  return db.select().from(apiKeys).where(eq(apiKeys.accountId, accountId)).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id)).all().map(keyView);
}

/**
 * Revokes one of the account's keys. Returns null when the id is not one of this account's keys, so another
 * developer's key id looks exactly like a missing one. Revoking twice keeps the first revocation time.
 */
export function revokeKey(db: OnrampDb, accountId: string, keyId: string, now = Date.now()): { key: KeyView; changed: boolean } | null {
  const updated = db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAt)))
    .returning()
    .get();
  if (updated) return { key: keyView(updated), changed: true };
  const existing = db.select().from(apiKeys).where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId))).get();
  return existing ? { key: keyView(existing), changed: false } : null;
}

/** Outcome of checking a presented sandbox key. `accountId` is set whenever the public prefix names an owner. */
export type KeyCheck =
  | { status: 'ok'; keyId: string; accountId: string; prefix: string }
  | { status: 'revoked'; keyId: string; accountId: string; prefix: string; revokedAt: number }
  | { status: 'live'; prefix: null; accountId: null }
  | { status: 'invalid'; prefix: string | null; accountId: string | null };

/** Checks a presented key: by prefix to find the owner, then the sha256 of the whole key in constant time. */
export function checkKey(db: OnrampDb, presented: string): KeyCheck {
  const lookup = keyLookupFor(presented);
  if ('answer' in lookup) return lookup.answer;
  const row = db
    .select({ id: apiKeys.id, accountId: apiKeys.accountId, keyHash: apiKeys.keyHash, revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .where(eq(apiKeys.prefix, lookup.prefix))
    .get();
  return judgeKey(presented, lookup.prefix, row);
}

/** The columns {@link judgeKey} needs from the row a prefix names. */
export type KeyOwnerRow = Pick<KeyRow, 'id' | 'accountId' | 'keyHash' | 'revokedAt'>;

/** The prefix to look a presented key up by, or the answer right away when it cannot be a sandbox key. */
export function keyLookupFor(presented: string): { prefix: string } | { answer: KeyCheck } {
  if (presented.startsWith(LIVE_KEY_PREFIX)) return { answer: { status: 'live', prefix: null, accountId: null } };
  const prefix = publicPrefixOf(presented);
  if (!prefix) return { answer: { status: 'invalid', prefix: null, accountId: null } };
  return { prefix };
}

/** The outcome for a presented key given the row its prefix names (if any), comparing hashes in constant time. */
export function judgeKey(presented: string, prefix: string, row: KeyOwnerRow | undefined): KeyCheck {
  if (!row) return { status: 'invalid', prefix, accountId: null };
  const matches = FULL_KEY_RE.test(presented) && timingSafeEqual(Buffer.from(sha256Hex(presented)), Buffer.from(row.keyHash));
  if (!matches) return { status: 'invalid', prefix, accountId: row.accountId };
  if (row.revokedAt !== null) return { status: 'revoked', keyId: row.id, accountId: row.accountId, prefix, revokedAt: row.revokedAt };
  return { status: 'ok', keyId: row.id, accountId: row.accountId, prefix };
}

/** Remembers when a key was last used (shown in the dashboard). */
export function touchKey(db: OnrampDb, keyId: string, now = Date.now()): void {
  db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, keyId)).run();
}
