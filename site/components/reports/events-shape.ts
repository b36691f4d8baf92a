/** Pure shaping for the live events view. */
import type { ListedEvent as EventRecord } from '../../../api/analytics/contract.ts';

export interface EventRow {
  uuid: string;
  timestamp: string;
  event: string;
  distinctId: string;
  personId: string;
  /** The person's email when an `$identify` / `$set` gave one, else null. */
  personEmail: string | null;
  /** Where it happened: the page for browser events, the endpoint and status for API calls. */
  context: string;
  properties: string;
}

const HIDDEN_PREFIXES = ['$lib', '$device_id', '$session_id', '$window_id', '$insert_id', 'token', '$time'];

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * A compact one-line summary of what an event is about. Values are returned as plain strings and React
 * renders them as text, so whatever a client sent can never become markup.
 */
export function eventContext(e: Pick<EventRecord, 'event' | 'properties'>): string {
  const p = e.properties ?? {};
  if (e.event === 'api_call') {
    const code = p.error_code ? ` ${text(p.error_code)}` : '';
    return `${text(p.method)} ${text(p.endpoint)} → ${text(p.status)}${code}`.trim();
  }
  if (e.event === 'doc_feedback') return `${text(p.path)} · ${p.helpful === true ? 'helpful' : p.helpful === false ? 'not helpful' : ''}`;
  return text(p.$pathname ?? p.path ?? p.$current_url ?? p.language ?? '');
}

/** Properties without SDK bookkeeping, pretty-printed for the detail view. */
export function visibleProperties(properties: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(properties ?? {}).filter(([k]) => !HIDDEN_PREFIXES.some((h) => k.startsWith(h))));
}

/** Events as table rows (newest first as the API returns them). */
export function eventRows(events: ReadonlyArray<EventRecord>): EventRow[] {
  return events.map((e) => ({
    uuid: e.uuid,
    timestamp: e.timestamp,
    event: e.event,
    distinctId: e.distinctId,
    personId: e.personId,
    personEmail: e.personEmail ?? null,
    context: eventContext(e),
    properties: JSON.stringify(visibleProperties(e.properties)),
  }));
}

/** Query for `GET /api/v1/events` from the filter controls; empty filters are left out. */
export function eventsQuery(filter: { event: string; distinctId: string; limit: number; before?: string }): Record<string, string> {
  const q: Record<string, string> = { limit: String(filter.limit) };
  if (filter.event.trim()) q.event = filter.event.trim();
  if (filter.distinctId.trim()) q.distinct_id = filter.distinctId.trim();
  if (filter.before) q.before = filter.before;
  return q;
}

/** The person page of an event's person (`/reports/person/?id=<person uuid>`). */
export function personHref(personId: string): string {
  return `/reports/person/?${new URLSearchParams({ id: personId })}`;
}
