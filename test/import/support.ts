import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OnrampDb } from '../../db/client.ts';

export const TOKEN = 'phc_import_test';

/** Writes `content` to a new temp file and returns its path. */
export function tempFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'onramp-import-')), name);
  writeFileSync(path, content);
  return path;
}

export function jsonl(rows: unknown[]): string {
  return `${rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n')}\n`;
}

export function countEvents(db: OnrampDb): number {
  return db.$client.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
}

export function personOf(db: OnrampDb, distinctId: string): number | undefined {
  return db.$client.prepare('SELECT person_id FROM person_distinct_ids WHERE distinct_id = ?').pluck().get(distinctId) as number | undefined;
}

/** Events as comparable tuples, oldest first. */
export function eventTuples(db: OnrampDb) {
  return db.$client.prepare('SELECT uuid, event, distinct_id, timestamp, properties FROM events ORDER BY timestamp, uuid').all() as Array<{
    uuid: string;
    event: string;
    distinct_id: string;
    timestamp: number;
    properties: string;
  }>;
}

/** A PostHog-style export: `n` events, five per person, with an `$identify` merging each person's anonymous id. */
export function posthogRows(n: number, opts: { withUuid?: boolean } = {}) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const person = Math.floor(i / 5);
    const step = i % 5;
    const uuid = `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`;
    rows.push({
      ...(opts.withUuid === false ? {} : { uuid }),
      event: step === 0 ? '$pageview' : step === 1 ? '$identify' : step === 2 ? 'signed_up' : 'api_call',
      distinct_id: step === 0 ? `anon-${person}` : `user-${person}`,
      timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      properties:
        step === 1
          ? { $anon_distinct_id: `anon-${person}` }
          : step >= 3
            ? { status: 201, endpoint: '/sandbox/v1/messages' }
            : { $pathname: '/docs/introduction/' },
    });
  }
  return rows;
}

/** A fixed UUIDv7-shaped id for row `n` of a test file. */
export const uuid = (n: number) => `0190b000-0000-7000-8000-${String(n).padStart(12, '0')}`;

/**
 * A history with every case the import handles: bad rows (broken JSON, missing event, bad timestamp, bad uuid),
 * a uuid repeated in the file (the second copy a duplicate), rows without uuid (content uuids), `$set`, and an
 * `$identify` merging two persons that both have events already.
 */
export function historyFile(): string {
  const t = (s: number) => new Date(Date.UTC(2026, 0, 2) + s * 1000).toISOString();
  return tempFile(
    'history.jsonl',
    jsonl([
      ...posthogRows(40),
      { uuid: uuid(1), event: '$pageview', distinct_id: 'anon-x', timestamp: t(1), properties: { $pathname: '/docs/errors/' } },
      '{"event": "broken", ',
      {
        uuid: uuid(2),
        event: 'api_call',
        distinct_id: 'dev-x',
        timestamp: t(2),
        properties: { status: 401, error_code: 'invalid_api_key' },
        $set: { plan: 'free' },
      },
      { uuid: uuid(3), distinct_id: 'dev-x', timestamp: t(3) },
      { uuid: uuid(1), event: '$pageview', distinct_id: 'anon-x', timestamp: t(1), properties: { $pathname: '/docs/errors/' } },
      { uuid: uuid(4), event: 'e', distinct_id: 'dev-x', timestamp: 'yesterday-ish' },
      {
        uuid: uuid(5),
        event: '$identify',
        distinct_id: 'dev-x',
        timestamp: t(5),
        properties: { $anon_distinct_id: 'anon-x' },
        $set: { email: 'x@example.test' },
      },
      { uuid: 'not-a-uuid', event: 'e', distinct_id: 'dev-x', timestamp: t(6) },
      { event: 'signed_up', distinct_id: 'dev-x', timestamp: t(7), properties: { ü: 'Grüße 🚀', nested: { a: [1, null] } } },
      { event: 'signed_up', distinct_id: 'dev-y', timestamp: t(8) },
    ]),
  );
}
