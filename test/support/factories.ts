import { uuidv7 } from 'uuidv7';
import { SERVER_EVENTS } from '../../api/ingest/validate.ts';
import { PROJECT_TOKEN, SERVER_TOKEN } from './app.ts';

let counter = 0;

/**
 * A capture event as posthog-js would send it, with overrides. A server-defined event (`signed_up`, `api_call`, ...)
 * carries the server token, as the backend's posthog-node sends it; any other the public project token.
 */
export function captureEvent(overrides: Record<string, unknown> = {}) {
  counter += 1;
  const token = typeof overrides.event === 'string' && SERVER_EVENTS.has(overrides.event) ? SERVER_TOKEN : PROJECT_TOKEN;
  return {
    uuid: uuidv7(),
    event: '$pageview',
    timestamp: new Date().toISOString(),
    properties: { token, distinct_id: `anon-${counter}`, $current_url: 'http://localhost/docs/' },
    ...overrides,
  };
}
