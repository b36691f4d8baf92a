import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../api/env.ts';

describe('security settings in the environment', () => {
  it('defaults: 10 s for headers, 30 s per request, 5 s keep-alive, 4,096 connections, server events need the server token', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      ONRAMP_HEADERS_TIMEOUT_MS: 10_000,
      ONRAMP_REQUEST_TIMEOUT_MS: 30_000,
      ONRAMP_KEEP_ALIVE_TIMEOUT_MS: 5_000,
      ONRAMP_MAX_CONNECTIONS: 4_096,
      ONRAMP_ACCEPT_PUBLIC_SERVER_EVENTS: false,
    });
    expect(env.ONRAMP_SERVER_TOKEN).toBeUndefined();
  });

  it.each([
    [{ ONRAMP_SERVER_TOKEN: 'short' }, 'ONRAMP_SERVER_TOKEN: must be at least 16 characters'],
    [
      { ONRAMP_SERVER_TOKEN: 'phc_same_token_as_project', ONRAMP_PROJECT_TOKEN: 'phc_same_token_as_project' },
      'ONRAMP_SERVER_TOKEN: must differ from ONRAMP_PROJECT_TOKEN',
    ],
    [{ ONRAMP_ACCEPT_PUBLIC_SERVER_EVENTS: 'yes' }, 'ONRAMP_ACCEPT_PUBLIC_SERVER_EVENTS'],
    [{ ONRAMP_MAX_CONNECTIONS: 'many' }, 'ONRAMP_MAX_CONNECTIONS'],
    [{ ONRAMP_HEADERS_TIMEOUT_MS: '10' }, 'ONRAMP_HEADERS_TIMEOUT_MS'],
    [{ ONRAMP_REQUEST_TIMEOUT_MS: '1.5' }, 'ONRAMP_REQUEST_TIMEOUT_MS: must be a whole number'],
  ])('refuses %o, naming the variable', (source, message) => {
    expect(() => parseEnv(source)).toThrow(message);
  });
});
