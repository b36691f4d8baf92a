import { describe, expect, it } from 'vitest';
import { resolveServerToken } from '../api/server-token.ts';
import { testDatabase } from './support/app.ts';

describe('the server token kept in the database', () => {
  it('is generated once, then read back unchanged', async () => {
    const database = testDatabase();
    const first = await resolveServerToken(database, undefined);
    expect(first.source).toBe('generated');
    expect(first.token).toMatch(/^onr_server_[A-Za-z0-9_-]{32}$/);
    const again = await resolveServerToken(database, undefined);
    expect(again).toEqual({ token: first.token, source: 'stored' });
  });

  it('is the same for instances starting at the same moment', async () => {
    const database = testDatabase();
    const tokens = await Promise.all(Array.from({ length: 8 }, () => resolveServerToken(database, undefined)));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(tokens.filter((t) => t.source === 'generated')).toHaveLength(1);
  });

  it('gives way to ONRAMP_SERVER_TOKEN, without storing it', async () => {
    const database = testDatabase();
    const stored = await resolveServerToken(database, undefined);
    expect(await resolveServerToken(database, 'onr_server_from_the_environment')).toEqual({ token: 'onr_server_from_the_environment', source: 'env' });
    expect((await resolveServerToken(database, undefined)).token).toBe(stored.token);
  });
});
