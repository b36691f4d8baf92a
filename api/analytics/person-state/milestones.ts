/**
 * What the per-developer onboarding state keeps: each person's milestone events, that is every event but the two
 * that make up the bulk of the data (`api_call`, summarized per person by the call facts of api-traffic/, and
 * `$pageview`, kept apart for the docs report in `person_page_views`, page-views.ts). One definition for the writes,
 * the rebuild and the reports that decide whether a funnel can be answered from the state.
 */
import { type SQL, sql } from 'drizzle-orm';

/** Events that are not milestones. */
const NOT_MILESTONES: ReadonlySet<string> = new Set(['api_call', '$pageview']);

/** Whether events named `event` are kept in `person_milestones`. */
export function isMilestone(event: string): boolean {
  return !NOT_MILESTONES.has(event);
}

/**
 * `INSERT INTO person_milestones` of the milestone events of `events` matching `where` (unqualified columns of
 * `events`); a row already there is left as it is, so running it again adds nothing.
 */
export function insertMilestonesOf(where: SQL): SQL {
  return sql`INSERT INTO person_milestones (person_id, timestamp, event_id, event)
    SELECT person_id, timestamp, id, event FROM events WHERE ${where} AND event NOT IN ('api_call', '$pageview')
    ON CONFLICT DO NOTHING`;
}
