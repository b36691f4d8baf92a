/** Pure shaping of `GET /api/v1/reports/person` into the person page's timeline, funnel position and links. */
import type { ListedEvent } from '../../../api/analytics/contract.ts';
import type { PersonJourney } from '../../../api/analytics/person-contract.ts';
import { personHref } from './events-shape.ts';

export { personHref };

/** What a timeline entry is, for its icon and filter. */
export type TimelineKind = 'page' | 'vote' | 'quickstart' | 'signup' | 'key' | 'call' | 'support' | 'identity' | 'other';

export interface TimelineEntry {
  uuid: string;
  timestamp: string;
  kind: TimelineKind;
  /** One line saying what happened, e.g. `Read /docs/quickstart/`. */
  title: string;
  /** Extra facts (status, reason, key prefix), or empty. */
  detail: string;
  /** A doc feedback comment, shown as quoted text. */
  comment: string | null;
  /** A failed API call (status ≥ 400 or an error code). */
  failed: boolean;
  event: string;
  distinctId: string;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value));

/** Whether an `api_call`'s properties say it failed: status ≥ 400, or an `error_code`. */
export function isFailedCall(properties: Record<string, unknown>): boolean {
  const status = Number(properties.status);
  return (Number.isFinite(status) && status >= 400) || (properties.error_code !== undefined && properties.error_code !== null);
}

/** One event as a timeline entry. Unknown events keep their name as the title. */
export function timelineEntry(e: ListedEvent): TimelineEntry {
  const p = e.properties;
  const base = { uuid: e.uuid, timestamp: e.timestamp, event: e.event, distinctId: e.distinctId, detail: '', comment: null, failed: false };
  const path = text(p.$pathname ?? p.path);
  switch (e.event) {
    case '$pageview':
      return { ...base, kind: 'page', title: `Read ${path || 'a page'}` };
    case 'doc_feedback': {
      const helpful = p.helpful === true;
      return {
        ...base,
        kind: 'vote',
        title: `Voted ${helpful ? 'helpful' : 'not helpful'} on ${path || 'a page'}`,
        detail: p.reason ? `reason: ${text(p.reason)}` : '',
        comment: p.comment ? text(p.comment) : null,
      };
    }
    case 'quickstart_started':
      return { ...base, kind: 'quickstart', title: p.language ? `Started the ${text(p.language)} quickstart` : 'Started a quickstart' };
    case 'code_copied':
      return { ...base, kind: 'quickstart', title: `Copied code from ${path || 'a page'}`, detail: text(p.language) };
    case 'signed_up':
      return { ...base, kind: 'signup', title: 'Signed up', detail: p.source ? `source: ${text(p.source)}` : '' };
    case 'api_key_created':
      return { ...base, kind: 'key', title: 'Created an API key', detail: [text(p.name), text(p.key_prefix)].filter(Boolean).join(' · ') };
    case 'api_key_revoked':
      return { ...base, kind: 'key', title: 'Revoked an API key', detail: text(p.key_prefix) };
    case 'api_call': {
      const failed = isFailedCall(p);
      const code = p.error_code ? ` ${text(p.error_code)}` : '';
      return {
        ...base,
        kind: 'call',
        failed,
        title: `${failed ? 'Failed call' : 'Call'}: ${text(p.method)} ${text(p.endpoint)}`.trim(),
        detail: `${text(p.status)}${code}`.trim(),
      };
    }
    case 'support_ticket_created':
      return { ...base, kind: 'support', title: `Opened a support ticket${p.topic ? `: ${text(p.topic)}` : ''}`, detail: path };
    case '$identify':
    case '$create_alias':
      return { ...base, kind: 'identity', title: e.event === '$identify' ? 'Identified' : 'Alias created' };
    default:
      return { ...base, kind: 'other', title: e.event };
  }
}

/** The timeline, newest first (the page reads from the latest activity down). */
export function timeline(events: ReadonlyArray<ListedEvent>): TimelineEntry[] {
  return events.map(timelineEntry).reverse();
}

/** Counts per kind, for the summary line above the timeline. */
export function kindCounts(entries: ReadonlyArray<TimelineEntry>): Record<TimelineKind, number> {
  const counts: Record<TimelineKind, number> = { page: 0, vote: 0, quickstart: 0, signup: 0, key: 0, call: 0, support: 0, identity: 0, other: 0 };
  for (const e of entries) counts[e.kind] += 1;
  return counts;
}

/** A sentence for the person's funnel position: `Reached 2 of 3 steps (api_key_created), still in progress`. */
export function funnelPosition(funnel: PersonJourney['funnel']): string {
  if (funnel.deepestStep === null) return `Has not started the funnel (no ${funnel.steps[0]?.event ?? 'first step'} yet)`;
  const reached = funnel.deepestStep + 1;
  const name = funnel.steps[funnel.deepestStep]?.event ?? '';
  if (reached === funnel.steps.length) return `Completed all ${reached} steps`;
  return `Reached ${reached} of ${funnel.steps.length} steps (${name}), ${funnel.inProgress ? `still inside the ${funnel.window} window` : 'dropped out'}`;
}
