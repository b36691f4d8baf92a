import { uuidv7 } from 'uuidv7';
import { type NormalizedEvent, SERVER_EVENTS } from '../../api/ingest/validate.ts';
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

/**
 * The `events` row a validated event should be stored as, with `properties` as the dialect reads it back: JSON text
 * on SQLite, a parsed object on PostgreSQL.
 *
 * @example
 * expect(rows).toEqual(events.map((e) => storedEventRow(e, 'text')));
 */
export function storedEventRow(e: NormalizedEvent, properties: 'text' | 'object') {
  return {
    uuid: e.uuid,
    event: e.event,
    distinct_id: e.distinctId,
    timestamp: e.timestamp,
    received_at: e.receivedAt,
    properties: properties === 'text' ? e.propertiesJson : e.properties,
  };
}
