/**
 * Contract of the two exploration routes of the reports UI, `GET /api/v1/reports/catalog` and
 * `GET /api/v1/reports/person`, shared by the API and the reports pages. Types and constants only: the portal
 * bundles this file.
 */
import type { ListedEvent } from './contract.ts';

/** Most event names, event property keys and person property keys the catalog returns, each. */
export const CATALOG_LIMIT = 200;
/** Days the catalog looks back when `days` is not given, and the most it accepts. */
export const CATALOG_DEFAULT_DAYS = 30;
export const CATALOG_MAX_DAYS = 90;

/** `GET /api/v1/reports/catalog`: what the step and filter pickers offer. */
export interface Catalog {
  /** Event names by number of events in the range, most first. */
  events: Array<{ name: string; count: number }>;
  /** Keys of those events' properties, sorted by name. */
  eventProperties: string[];
  /** Keys of the properties (`$set` / `$set_once`) of the persons active in the range, sorted by name. */
  personProperties: string[];
}

/** Most events of one person the person route returns (the latest ones), and most distinct ids. */
export const PERSON_EVENT_LIMIT = 1000;
export const PERSON_DISTINCT_ID_LIMIT = 100;

/** One step of the default funnel for one person: when their chosen attempt reached it, or null. */
export interface PersonFunnelStep {
  event: string;
  reachedAt: string | null;
}

/** `GET /api/v1/reports/person`: one developer's journey. */
export interface PersonJourney {
  personId: string;
  /** The person's `email` property, else the email of the portal account behind one of their distinct ids. */
  email: string | null;
  distinctIds: string[];
  /** The person's latest events, oldest first (newest last); `truncated` when older ones were left out. */
  events: ListedEvent[];
  truncated: boolean;
  /**
   * Position in the default funnel (signed_up → api_key_created → first_successful_call, 14-day window), evaluated
   * over all of the person's history up to now by the funnel report's own code.
   */
  funnel: {
    window: string;
    /** 0-based index of the deepest step reached; null when the person never did the first step. */
    deepestStep: number | null;
    /** The window of the chosen attempt was still open now and it has not reached the last step. */
    inProgress: boolean;
    steps: PersonFunnelStep[];
  };
  /** Seconds from the first signed_up to the first successful call after it (TTFSI); null until both happened. */
  ttfsiSeconds: number | null;
}
