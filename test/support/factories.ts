import { uuidv7 } from 'uuidv7';
import { PROJECT_TOKEN } from './app.ts';

let counter = 0;

/** A capture event as posthog-js would send it, with overrides. */
export function captureEvent(overrides: Record<string, unknown> = {}) {
  counter += 1;
  return {
    uuid: uuidv7(),
    event: '$pageview',
    timestamp: new Date().toISOString(),
    properties: { token: PROJECT_TOKEN, distinct_id: `anon-${counter}`, $current_url: 'http://localhost/docs/' },
    ...overrides,
  };
}
