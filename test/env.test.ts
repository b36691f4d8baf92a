import { describe, expect, it } from 'vitest';
import { parseEnv } from '../api/env.ts';

describe('parseEnv', () => {
  it('applies the documented defaults', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ PORT: 8787, HOST: '127.0.0.1', DATABASE_URL: 'file:./data/onramp.db', ONRAMP_PROJECT_TOKEN: 'phc_onramp_local', ONRAMP_DEMO: true, adminTokenGenerated: true });
    expect(env.ONRAMP_ADMIN_TOKEN.length).toBeGreaterThanOrEqual(32);
    expect(parseEnv({}).ONRAMP_ADMIN_TOKEN).not.toBe(env.ONRAMP_ADMIN_TOKEN);
  });

  it('keeps a given admin token and reads ONRAMP_DEMO=0', () => {
    const env = parseEnv({ ONRAMP_ADMIN_TOKEN: 'a-long-enough-admin-token', ONRAMP_DEMO: '0', PORT: '9000' });
    expect(env).toMatchObject({ ONRAMP_ADMIN_TOKEN: 'a-long-enough-admin-token', adminTokenGenerated: false, ONRAMP_DEMO: false, PORT: 9000 });
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['ONRAMP_DEMO', { ONRAMP_DEMO: 'yes' }],
    ['ONRAMP_ADMIN_TOKEN', { ONRAMP_ADMIN_TOKEN: 'short' }],
    ['ONRAMP_PROJECT_TOKEN', { ONRAMP_PROJECT_TOKEN: '' }],
  ])('rejects a bad %s with a one-line message naming it', (name, source) => {
    expect(() => parseEnv(source)).toThrow(new RegExp(`^Invalid environment variable ${name}: [^\\n]+$`));
  });
});
