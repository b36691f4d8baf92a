import { describe, expect, it } from 'vitest';
import { parseEnv } from '../api/env.ts';

describe('parseEnv', () => {
  it('applies the documented defaults', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      PORT: 8787,
      HOST: '127.0.0.1',
      DATABASE_URL: 'file:./data/onramp.db',
      ONRAMP_PROJECT_TOKEN: 'phc_onramp_local',
      ONRAMP_DEMO: true,
      ONRAMP_MAX_INGEST_BACKLOG: 1_000_000,
      adminTokenGenerated: true,
    });
    expect(env.ONRAMP_ADMIN_TOKEN.length).toBeGreaterThanOrEqual(32);
    expect(parseEnv({}).ONRAMP_ADMIN_TOKEN).not.toBe(env.ONRAMP_ADMIN_TOKEN);
  });

  it('reads ONRAMP_TEST_ACCOUNT_FILTERS as property filters; a bad one stops start-up naming it', () => {
    const filters = [{ key: 'email', type: 'person', operator: 'not_icontains', value: '@yourcompany.com' }];
    expect(parseEnv({ ONRAMP_TEST_ACCOUNT_FILTERS: JSON.stringify(filters) }).ONRAMP_TEST_ACCOUNT_FILTERS).toEqual(filters);
    expect(parseEnv({}).ONRAMP_TEST_ACCOUNT_FILTERS).toBeUndefined();
    for (const bad of ['{', '[{"key":"email","operator":"like"}]', '[{"key":"a","operator":"regex","value":"("}]']) {
      expect(() => parseEnv({ ONRAMP_TEST_ACCOUNT_FILTERS: bad })).toThrow(/^Invalid environment variable ONRAMP_TEST_ACCOUNT_FILTERS/);
    }
  });

  it('keeps a given admin token and reads ONRAMP_DEMO=0', () => {
    const env = parseEnv({ ONRAMP_ADMIN_TOKEN: 'a-long-enough-admin-token-xyz-0123', ONRAMP_DEMO: '0', PORT: '9000' });
    expect(env).toMatchObject({ ONRAMP_ADMIN_TOKEN: 'a-long-enough-admin-token-xyz-0123', adminTokenGenerated: false, ONRAMP_DEMO: false, PORT: 9000 });
  });

  it('reads the PostHog mirror when both of its variables are set, and leaves it off when neither is', () => {
    expect(parseEnv({ ONRAMP_FORWARD_HOST: 'https://eu.i.posthog.com', ONRAMP_FORWARD_TOKEN: 'phc_mirror' })).toMatchObject({
      ONRAMP_FORWARD_HOST: 'https://eu.i.posthog.com',
      ONRAMP_FORWARD_TOKEN: 'phc_mirror',
    });
    const env = parseEnv({});
    expect(env.ONRAMP_FORWARD_HOST).toBeUndefined();
    expect(env.ONRAMP_FORWARD_TOKEN).toBeUndefined();
  });

  it.each(['postgres://onramp@db.example.com/onramp', 'postgresql://u:p@127.0.0.1:5432/onramp?sslmode=require'])(
    'accepts a PostgreSQL DATABASE_URL (%s)',
    (url) => {
      expect(parseEnv({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    },
  );

  it('names the missing half of the PostHog mirror configuration', () => {
    expect(() => parseEnv({ ONRAMP_FORWARD_HOST: 'https://us.i.posthog.com' })).toThrow(/ONRAMP_FORWARD_TOKEN: required when ONRAMP_FORWARD_HOST is set$/);
    expect(() => parseEnv({ ONRAMP_FORWARD_TOKEN: 'phc_x' })).toThrow(/ONRAMP_FORWARD_HOST: required when ONRAMP_FORWARD_TOKEN is set$/);
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['ONRAMP_DEMO', { ONRAMP_DEMO: 'yes' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://db.example.com/onramp' }],
    ['DATABASE_URL', { DATABASE_URL: 'sqlite:///tmp/onramp.db' }],
    ['ONRAMP_MAX_INGEST_BACKLOG', { ONRAMP_MAX_INGEST_BACKLOG: '12.5' }],
    ['ONRAMP_MAX_INGEST_BACKLOG', { ONRAMP_MAX_INGEST_BACKLOG: '10' }],
    ['ONRAMP_ADMIN_TOKEN', { ONRAMP_ADMIN_TOKEN: 'short' }],
    ['ONRAMP_PROJECT_TOKEN', { ONRAMP_PROJECT_TOKEN: '' }],
    ['ONRAMP_FORWARD_HOST', { ONRAMP_FORWARD_HOST: 'not a url', ONRAMP_FORWARD_TOKEN: 'phc_x' }],
    ['ONRAMP_FORWARD_HOST', { ONRAMP_FORWARD_HOST: 'ftp://posthog.example.com', ONRAMP_FORWARD_TOKEN: 'phc_x' }],
    ['ONRAMP_FORWARD_HOST', { ONRAMP_FORWARD_TOKEN: 'phc_x' }],
    ['ONRAMP_FORWARD_TOKEN', { ONRAMP_FORWARD_HOST: 'https://us.i.posthog.com' }],
    ['ONRAMP_FORWARD_TOKEN', { ONRAMP_FORWARD_HOST: 'https://us.i.posthog.com', ONRAMP_FORWARD_TOKEN: '' }],
  ])('rejects a bad %s with a one-line message naming it', (name, source) => {
    expect(() => parseEnv(source)).toThrow(new RegExp(`^Invalid environment variable ${name}: [^\\n]+$`));
  });
});
