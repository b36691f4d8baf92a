/**
 * The one place the portal talks to posthog-js. Every export swallows its own failures: analytics is never
 * allowed to break a page, so a blocked request, a bad property or a missing `window` only logs a warning.
 *
 * The slim, no-external bundle is used on purpose: it never loads remote scripts (replay, surveys, toolbar)
 * and is less than half the size of the default bundle; nothing the portal needs lives in the extensions.
 */

import type { PostHogConfig } from 'posthog-js/dist/module.slim.no-external';
import posthog from 'posthog-js/dist/module.slim.no-external';

/** Replaced at build time by astro.config.mjs (vite `define`) with ONRAMP_PROJECT_TOKEN. */
declare const __ONRAMP_PROJECT_TOKEN__: string | undefined;

/** Token used when the page was not built by Astro (tests, tooling): the server's own default. */
export const DEFAULT_PROJECT_TOKEN = 'phc_onramp_local';

let started = false;

/**
 * Search-engine and link-preview crawlers that run JavaScript. posthog-js's own bot filter also drops
 * HeadlessChrome, which would silence the real-browser end-to-end tests that prove the funnel works, so that
 * filter is switched off and this narrower one is applied instead.
 */
const CRAWLER_USER_AGENT = /bot\b|bot\/|crawler|spider|slurp|facebookexternalhit|lighthouse|pagespeed/i;

/** Whether a user agent belongs to a crawler whose page views must not count as readers. */
export function isCrawler(userAgent: string | undefined | null): boolean {
  return typeof userAgent === 'string' && CRAWLER_USER_AGENT.test(userAgent);
}

/** The project token baked into this build, or the server default. */
export function projectToken(): string {
  try {
    if (typeof __ONRAMP_PROJECT_TOKEN__ === 'string' && __ONRAMP_PROJECT_TOKEN__) return __ONRAMP_PROJECT_TOKEN__;
  } catch {
    // `define` did not run (e.g. under vitest): fall through to the default.
  }
  return DEFAULT_PROJECT_TOKEN;
}

/**
 * The quiet configuration: only what the funnel needs is captured, nothing is fetched from elsewhere.
 * `api_host` is this very server, which speaks the PostHog capture protocol.
 */
export function trackingConfig(origin: string): Partial<PostHogConfig> {
  return {
    api_host: origin,
    autocapture: false,
    capture_pageview: true,
    capture_pageleave: false,
    capture_performance: false,
    capture_exceptions: false,
    capture_dead_clicks: false,
    capture_heatmaps: false,
    rageclick: false,
    disable_session_recording: true,
    disable_surveys: true,
    disable_product_tours: true,
    disable_conversations: true,
    disable_web_experiments: true,
    disable_external_dependency_loading: true,
    advanced_disable_flags: true,
    advanced_disable_toolbar_metrics: true,
    persistence: 'localStorage+cookie',
    opt_out_useragent_filter: true,
    before_send: (event) => {
      try {
        return isCrawler(globalThis.navigator?.userAgent) ? null : event;
      } catch {
        return event;
      }
    },
    // One request per event: pages navigate right after a vote or a signup and must not strand a batch.
    request_batching: false,
    // posthog-js gzips with the browser's CompressionStream, which is asynchronous: a vote followed at once by a click
    // on a link was lost whenever the page unloaded before the compression finished (test/site/browser.test.ts, on
    // a slow device every time). Uncompressed, the request (a keepalive fetch) leaves within the capture call itself.
    disable_compression: true,
  };
}

function warn(what: string, err: unknown): void {
  try {
    console.warn(`[onramp] tracking: ${what} failed`, err);
  } catch {
    // Even the console can be unavailable (locked-down embeds).
  }
}

/**
 * Starts posthog-js once per page and captures the `$pageview`. Safe to call any number of times and from
 * any island; returns whether tracking is running.
 */
export function initTracking(): boolean {
  if (started) return true;
  try {
    if (typeof window === 'undefined' || !window.location) return false;
    posthog.init(projectToken(), trackingConfig(window.location.origin));
    started = true;
  } catch (err) {
    warn('init', err);
  }
  return started;
}

/** Sends one event. Starts tracking first if needed; does nothing outside a browser. */
export function track(event: string, properties?: Record<string, unknown>): void {
  try {
    if (!event || !initTracking()) return;
    posthog.capture(event, properties);
  } catch (err) {
    warn(`capture ${String(event)}`, err);
  }
}

/**
 * Ties this browser's anonymous history (doc reading, quickstarts) to an account: posthog-js sends
 * `$identify` with the anonymous id, and the server merges both into one person.
 */
export function identify(distinctId: string): void {
  try {
    if (typeof distinctId !== 'string' || !distinctId || !initTracking()) return;
    posthog.identify(distinctId);
  } catch (err) {
    warn('identify', err);
  }
}

/** Forgets the identified person (on logout), so the next visitor on this browser starts anonymous. */
export function resetTracking(): void {
  try {
    if (!started) return;
    posthog.reset();
  } catch (err) {
    warn('reset', err);
  }
}
