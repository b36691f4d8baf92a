import { createHash, randomInt } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` characters drawn uniformly from [A-Za-z0-9] with a CSPRNG (randomInt avoids modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)];
  return out;
}

/** Hex sha256, used for session ids, API keys and rate-limit subjects so raw values never reach the database. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Prefixed random ids, e.g. `acct_...`: readable in logs, unguessable, and the prefix says what they name. */
export const newId = {
  account: () => `acct_${randomBase62(20)}`,
  apiKey: () => `key_${randomBase62(16)}`,
  message: () => `msg_${randomBase62(24)}`,
  ticket: () => `tkt_${randomBase62(16)}`,
};
