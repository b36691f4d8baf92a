import { timingSafeEqual } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { apiKeys } from '../../db/schema/sqlite.ts';
import type { SqlDatabase } from '../storage/sql/interface.ts';
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

/** Every column of `api_keys`, named as {@link KeyRow} names them. */
const KEY_COLUMNS = sql.raw(
  'id, account_id AS "accountId", name, prefix, key_hash AS "keyHash", created_at AS "createdAt", revoked_at AS "revokedAt", last_used_at AS "lastUsedAt"',
);

/** Attempts before a prefix collision (1 in 62^8 per pair) is given up on. */
const CREATE_ATTEMPTS = 4;

/**
 * Creates a key for `accountId`. Returns the full secret exactly once; the table keeps its sha256 and the public
 * prefix only. A prefix collision makes the insert a no-op (ON CONFLICT DO NOTHING) and is retried with a new key.
 */
export async function createKey(database: SqlDatabase, accountId: string, name: string, now = Date.now()): Promise<{ key: KeyView; secret: string }> {
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    const { secret, row: v } = newKeyRow(accountId, name, now);
    const row = await database.get<KeyRow>(sql`
      INSERT INTO api_keys (id, account_id, name, prefix, key_hash, created_at, revoked_at, last_used_at)
      VALUES (${v.id}, ${v.accountId}, ${v.name}, ${v.prefix}, ${v.keyHash}, ${v.createdAt}, NULL, NULL)
      ON CONFLICT (prefix) DO NOTHING
      RETURNING ${KEY_COLUMNS}`);
    if (row) return { key: keyView(row), secret };
  }
  throw new Error(`createKey: ${CREATE_ATTEMPTS} key prefixes in a row were already taken`);
}

/** The account's keys, newest first. */
export async function listKeys(database: SqlDatabase, accountId: string): Promise<KeyView[]> {
  const rows = await database.all<KeyRow>(sql`SELECT ${KEY_COLUMNS} FROM api_keys WHERE account_id = ${accountId} ORDER BY created_at DESC, id DESC`);
  return rows.map(keyView);
}

/**
 * Revokes one of the account's keys. Returns null when the id is not one of this account's keys, so another
 * developer's key id looks exactly like a missing one. Revoking twice keeps the first revocation time.
 */
export async function revokeKey(database: SqlDatabase, accountId: string, keyId: string, now = Date.now()): Promise<{ key: KeyView; changed: boolean } | null> {
  const updated = await database.get<KeyRow>(sql`
    UPDATE api_keys SET revoked_at = ${now}
    WHERE id = ${keyId} AND account_id = ${accountId} AND revoked_at IS NULL
    RETURNING ${KEY_COLUMNS}`);
  if (updated) return { key: keyView(updated), changed: true };
  const existing = await database.get<KeyRow>(sql`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ${keyId} AND account_id = ${accountId}`);
  return existing ? { key: keyView(existing), changed: false } : null;
}

/** Outcome of checking a presented sandbox key. `accountId` is set whenever the public prefix names an owner. */
export type KeyCheck =
  | { status: 'ok'; keyId: string; accountId: string; prefix: string }
  | { status: 'revoked'; keyId: string; accountId: string; prefix: string; revokedAt: number }
  | { status: 'live'; prefix: null; accountId: null }
  | { status: 'invalid'; prefix: string | null; accountId: string | null };

/**
 * Whether the presented secret proved the call's attribution: true for a key that matched (even revoked), false for
 * a wrong secret carrying a developer's public prefix (a typo, or someone forging calls in their name), undefined
 * when the key names nobody.
 */
export function keyVerified(check: KeyCheck): boolean | undefined {
  if (check.status === 'ok' || check.status === 'revoked') return true;
  return check.accountId === null ? undefined : false;
}

/** Checks a presented key: by prefix to find the owner, then the sha256 of the whole key in constant time. */
export async function checkKey(database: SqlDatabase, presented: string): Promise<KeyCheck> {
  const lookup = keyLookupFor(presented);
  if ('answer' in lookup) return lookup.answer;
  const row = await database.get<KeyOwnerRow>(
    sql`SELECT id, account_id AS "accountId", key_hash AS "keyHash", revoked_at AS "revokedAt" FROM api_keys WHERE prefix = ${lookup.prefix}`,
  );
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
export async function touchKey(database: SqlDatabase, keyId: string, now = Date.now()): Promise<void> {
  await database.run(sql`UPDATE api_keys SET last_used_at = ${now} WHERE id = ${keyId}`);
}
