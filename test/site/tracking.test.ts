import { afterEach, describe, expect, it, vi } from 'vitest';
import { canonicalPath } from '../../site/tracking/paths.ts';
import { DEFAULT_PROJECT_TOKEN, identify, initTracking, isCrawler, projectToken, resetTracking, track, trackingConfig } from '../../site/tracking/posthog.ts';

const globals = globalThis as Record<string, unknown>;

afterEach(() => {
  delete globals.window;
  vi.restoreAllMocks();
});

describe('tracking wrapper', () => {
  it('does nothing and never throws outside a browser', () => {
    expect(initTracking()).toBe(false);
    expect(() => track('doc_feedback', { helpful: true, path: '/docs/errors/' })).not.toThrow();
    expect(() => identify('acct_123')).not.toThrow();
    expect(() => resetTracking()).not.toThrow();
  });

  it('never throws on hostile input', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const exploding = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new Error('getter exploded');
      },
    });
    expect(() => track('', undefined)).not.toThrow();
    expect(() => track('code_copied', circular)).not.toThrow();
    expect(() => track('code_copied', exploding)).not.toThrow();
    expect(() => track(undefined as unknown as string)).not.toThrow();
    expect(() => identify('')).not.toThrow();
    expect(() => identify(null as unknown as string)).not.toThrow();
  });

  it('survives a window whose location throws, and reports that tracking is off', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    globals.window = Object.defineProperty({}, 'location', {
      get() {
        throw new Error('SecurityError: blocked frame');
      },
    });
    expect(() => initTracking()).not.toThrow();
    expect(initTracking()).toBe(false);
    expect(() => track('$pageview')).not.toThrow();
    expect(() => identify('acct_123')).not.toThrow();
    expect(warn).toHaveBeenCalledWith('[onramp] tracking: init failed', expect.any(Error));
  });

  it('uses the server default token when the build did not inject one', () => {
    expect(projectToken()).toBe(DEFAULT_PROJECT_TOKEN);
    expect(DEFAULT_PROJECT_TOKEN).toBe('phc_onramp_local');
  });

  it('is configured quietly and sends to the page origin', () => {
    const config = trackingConfig('http://127.0.0.1:8787');
    expect(config).toMatchObject({
      api_host: 'http://127.0.0.1:8787',
      autocapture: false,
      capture_pageview: true,
      capture_pageleave: false,
      disable_session_recording: true,
      disable_surveys: true,
      disable_external_dependency_loading: true,
      advanced_disable_flags: true,
      opt_out_useragent_filter: true,
      request_batching: false,
      disable_compression: true,
    });
  });

  it('drops crawlers but keeps real and headless browsers', () => {
    expect(isCrawler('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)')).toBe(true);
    expect(isCrawler('Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)')).toBe(true);
    expect(isCrawler('facebookexternalhit/1.1')).toBe(true);
    expect(isCrawler('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36')).toBe(false);
    expect(isCrawler('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15')).toBe(false);
    expect(isCrawler(undefined)).toBe(false);
  });

  it('reports every spelling of a page under its canonical path', () => {
    expect(canonicalPath('/docs/errors')).toBe('/docs/errors/');
    expect(canonicalPath('/docs/errors/')).toBe('/docs/errors/');
    expect(canonicalPath('/docs/errors/index.html')).toBe('/docs/errors/');
    expect(canonicalPath('/')).toBe('/');
    expect(canonicalPath('/index.html')).toBe('/');
  });
});
