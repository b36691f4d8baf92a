import { describe, expect, it } from 'vitest';
import { enforce, hit, LOCKOUT, loginFailures } from '../../api/portal/rate-limit.ts';
import { ApiError } from '../../api/errors.ts';
import { testDb } from '../support/app.ts';

describe('fixed-window counter in the database', () => {
  it('counts up to the limit, refuses after it, and restarts when the window ends', () => {
    const db = testDb();
    const limit = { max: 3, windowMs: 10_000 };
    const t0 = 1_000_000;
    expect([0, 1, 2].map((i) => hit(db, 'b', limit, t0 + i).allowed)).toEqual([true, true, true]);
    const fourth = hit(db, 'b', limit, t0 + 5_000);
    expect(fourth).toMatchObject({ allowed: false, count: 4, remaining: 0, resetAt: t0 + 10_000, retryAfterSeconds: 5 });
    const next = hit(db, 'b', limit, t0 + 10_000);
    expect(next).toMatchObject({ allowed: true, count: 1, resetAt: t0 + 20_000 });
    // Buckets are independent.
    expect(hit(db, 'other', limit, t0 + 5_000).count).toBe(1);
  });

  it('enforce throws 429 rate_limited with Retry-After', () => {
    const db = testDb();
    const limit = { max: 1, windowMs: 60_000 };
    enforce(db, 'x', limit, 'thing', 0);
    try {
      enforce(db, 'x', limit, 'thing', 1_500);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      const e = err as ApiError;
      expect([e.status, e.code, e.extras.headers?.['Retry-After']]).toEqual([429, 'rate_limited', '59']);
      expect(e.message).toMatch(/^thing: too many requests/);
    }
  });

  it('is shared by two connections to one database file (two processes)', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { openDb } = await import('../../db/client.ts');
    const file = join(mkdtempSync(join(tmpdir(), 'onramp-rl-')), 'db.sqlite');
    const a = openDb(`file:${file}`);
    const b = openDb(`file:${file}`);
    const limit = { max: 2, windowMs: 60_000 };
    expect(hit(a, 'shared', limit).allowed).toBe(true);
    expect(hit(b, 'shared', limit).allowed).toBe(true);
    expect(hit(a, 'shared', limit).allowed).toBe(false);
    a.$client.close();
    b.$client.close();
  });
});

describe('login lockout', () => {
  it('locks after ten failures for 15 minutes from the last one, then unlocks', () => {
    const db = testDb();
    const t0 = 5_000_000;
    for (let i = 0; i < LOCKOUT.failures - 1; i++) loginFailures.record(db, 'f', t0 + i * 60_000);
    expect(loginFailures.lockedFor(db, 'f', t0 + 9 * 60_000)).toBe(0);
    const tenth = t0 + 9 * 60_000;
    loginFailures.record(db, 'f', tenth);
    expect(loginFailures.lockedFor(db, 'f', tenth + 1)).toBe(15 * 60);
    expect(loginFailures.lockedFor(db, 'f', tenth + 14 * 60_000)).toBe(60);
    expect(loginFailures.lockedFor(db, 'f', tenth + 15 * 60_000)).toBe(0);
    // After the window a single failure starts again from one.
    expect(loginFailures.record(db, 'f', tenth + 16 * 60_000)).toBe(1);
  });

  it('failures spread wider than 15 minutes apart never lock', () => {
    const db = testDb();
    for (let i = 0; i < 20; i++) loginFailures.record(db, 'slow', i * 16 * 60_000);
    expect(loginFailures.lockedFor(db, 'slow', 19 * 16 * 60_000 + 1)).toBe(0);
  });
});
