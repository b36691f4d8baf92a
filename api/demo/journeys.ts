import {
  CALLS,
  CODE_LANGUAGE,
  DEMO_ORIGIN,
  ERROR_STATUS,
  type ErrorCode,
  INCIDENT_AUTH_RATING,
  LANGUAGES,
  type Language,
  PAGE_RATINGS,
  PAGE_TITLES,
  PATHS,
  type PageRating,
  QUICKSTART_PATH,
  type SandboxCall,
  SUPPORT_TOPICS,
} from './catalog.ts';
import type { Random } from './random.ts';

/** One demo event before it becomes a NormalizedEvent. */
export interface DemoEvent {
  event: string;
  distinctId: string;
  timestamp: number;
  properties: Record<string, unknown>;
  set?: Record<string, unknown>;
}

export interface JourneyContext {
  /** Nothing is emitted after this instant; journeys cut off here are the "still in progress" persons. */
  now: number;
  /**
   * From this instant the authentication page's key example is broken: first calls hit `invalid_api_key`
   * far more often, and many developers stall. This is the drop the reports must flag.
   */
  incidentStart: number;
  index: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const BROWSERS = { Chrome: 6, Firefox: 2, Safari: 2, Edge: 1 } as const;
const OSES = { 'Mac OS X': 5, Windows: 3, Linux: 3 } as const;
const SOURCES = { search: 5, github: 3, referral: 2, newsletter: 1 } as const;
const REFERRERS: Record<keyof typeof SOURCES, string> = {
  search: 'www.google.com',
  github: 'github.com',
  referral: 'dev.to',
  newsletter: 'newsletter.example.com',
};

/**
 * Builds one developer's road through the portal, from anonymous reading to (maybe) a working integration.
 * The model is deliberately simple but produces every shape the reports need: readers and non-readers,
 * identity merges, error-blocked first calls, support tickets, still-in-progress persons, and votes.
 */
export function developerJourney(rng: Random, ctx: JourneyContext, arrival: number): DemoEvent[] {
  const out: DemoEvent[] = [];
  let t = arrival;
  let stopped = false;
  const anonId = rng.uuid();
  let distinctId = anonId;
  const language: Language = rng.weighted({ curl: 4, node: 4, python: 3 });
  const source = rng.weighted(SOURCES);
  const browser = rng.weighted(BROWSERS);
  const os = rng.weighted(OSES);
  let sessionId = rng.uuid();
  let firstPageview = true;
  const read = new Set<string>();

  const emit = (event: string, properties: Record<string, unknown>, extra: Partial<DemoEvent> = {}) => {
    if (stopped || t > ctx.now) {
      stopped = true;
      return false;
    }
    out.push({ event, distinctId, timestamp: Math.round(t), properties, ...extra });
    return true;
  };
  const wait = (ms: number) => {
    t += Math.max(SECOND, ms);
  };
  const newSession = () => {
    sessionId = rng.uuid();
  };

  const view = (path: string) => {
    const props: Record<string, unknown> = {
      $current_url: `${DEMO_ORIGIN}${path}`,
      $pathname: path,
      title: PAGE_TITLES[path] ?? 'Onramp Developers',
      $host: new URL(DEMO_ORIGIN).host,
      $lib: 'web',
      $browser: browser,
      $os: os,
      $device_type: 'Desktop',
      $session_id: sessionId,
    };
    if (firstPageview) {
      props.$referring_domain = REFERRERS[source];
      firstPageview = false;
    }
    if (emit('$pageview', props)) read.add(path);
    wait(rng.logNormal(70 * SECOND, 0.8));
  };

  const ratingOf = (path: string): PageRating | undefined =>
    path === PATHS.authentication && t >= ctx.incidentStart ? INCIDENT_AUTH_RATING : PAGE_RATINGS[path];

  /** Votes on a page; `frustrated` readers (stuck on an error) vote "no" more often. */
  const maybeVote = (path: string, probability: number, frustrated = false) => {
    const rating = ratingOf(path);
    if (!rating || !rng.chance(probability)) return;
    const helpfulRate = frustrated ? rating.helpful * 0.6 : rating.helpful;
    const helpful = rng.chance(helpfulRate);
    const props: Record<string, unknown> = { helpful, path, $pathname: path, $current_url: `${DEMO_ORIGIN}${path}` };
    if (!helpful) props.reason = rng.weighted(rating.reasons as Record<string, number>);
    const comments = helpful ? rating.praise : rating.complaints;
    if (comments.length > 0 && rng.chance(helpful ? 0.1 : 0.45)) props.comment = rng.pick(comments);
    emit('doc_feedback', props);
    wait(rng.logNormal(20 * SECOND, 0.5));
  };

  const readPage = (path: string, voteProbability = 0.09, frustrated = false) => {
    view(path);
    maybeVote(path, voteProbability, frustrated);
  };

  // Anonymous discovery: most developers read before signing up; some arrive straight at the signup page.
  const reader = rng.chance(0.85);
  if (reader) {
    if (rng.chance(0.5)) readPage(PATHS.home, 0);
    if (rng.chance(0.75)) readPage(PATHS.introduction);
    if (rng.chance(0.6)) {
      readPage(QUICKSTART_PATH[language]);
      emit('quickstart_started', { language, $pathname: QUICKSTART_PATH[language] });
      wait(rng.logNormal(40 * SECOND, 0.6));
      if (rng.chance(0.7)) {
        emit('code_copied', { path: QUICKSTART_PATH[language], language: CODE_LANGUAGE[language] });
        wait(rng.logNormal(30 * SECOND, 0.6));
      }
    }
    if (rng.chance(0.5)) readPage(PATHS.authentication);
    if (rng.chance(0.5)) readPage(PATHS.firstCall);
    if (rng.chance(0.25)) readPage(PATHS.createMessage);
    if (rng.chance(0.1)) readPage(PATHS.changelog);
    // Thorough readers skim the reference before their first call, so those pages have pre-success readers too.
    if (rng.chance(0.2)) {
      for (const path of [PATHS.rateLimits, PATHS.pagination, PATHS.listMessages, PATHS.retrieveMessage, PATHS.instrument]) {
        if (rng.chance(0.4)) readPage(path);
      }
    }
    if (!rng.chance(0.58)) {
      // Some readers come back another day and read a bit more, then leave for good.
      if (rng.chance(0.3)) {
        wait(rng.logNormal(2 * DAY, 0.8));
        newSession();
        readPage(rng.pick([PATHS.introduction, PATHS.rateLimits, PATHS.pagination, QUICKSTART_PATH[rng.pick(LANGUAGES)]]));
      }
      return out;
    }
    wait(rng.chance(0.7) ? rng.logNormal(3 * MINUTE, 0.8) : rng.logNormal(2 * DAY, 0.9));
  }

  // Signup: posthog-js identifies the new account, which merges the anonymous reading into the person.
  newSession();
  view(PATHS.signup);
  const accountId = `acct_${rng.base62(20)}`;
  const email = `dev${ctx.index}@${rng.pick(['example.com', 'example.org', 'example.net'])}`;
  distinctId = accountId;
  emit('$identify', { $anon_distinct_id: anonId, $set: { email } }, { set: { email } });
  wait(2 * SECOND);
  emit('signed_up', { source, language, $lib: 'posthog-node' });
  view(PATHS.dashboard);

  if (!rng.chance(0.86)) {
    if (rng.chance(0.4)) readPage(PATHS.authentication);
    return out;
  }
  wait(rng.logNormal(4 * MINUTE, 1.4));
  let keyPrefix = `onr_test_${rng.base62(8)}`;
  emit('api_key_created', { key_prefix: keyPrefix, name: rng.pick(['default', 'test', 'my laptop', 'ci']), $lib: 'posthog-node' });
  const incident = t >= ctx.incidentStart;

  const call = (spec: SandboxCall, error?: ErrorCode) => {
    const status = error ? ERROR_STATUS[error] : spec.method === 'POST' ? 201 : 200;
    const median = error === 'rate_limit_exceeded' ? 2 : error ? 5 : spec.medianMs;
    const slowTail = !error && rng.chance(0.02) ? rng.logNormal(8, 0.5) : 1;
    const props: Record<string, unknown> = {
      status,
      method: spec.method,
      endpoint: spec.endpoint,
      duration_ms: Math.max(1, Math.round(rng.logNormal(median, 0.45) * slowTail)),
      key_prefix: keyPrefix,
      $lib: 'posthog-node',
    };
    if (error) props.error_code = error;
    emit('api_call', props);
  };

  // First call: success odds depend on what was read, and collapse during the incident.
  let successOdds = 0.8 + (read.has(PATHS.firstCall) || read.has(QUICKSTART_PATH[language]) ? 0.08 : 0) - (reader ? 0 : 0.12);
  if (incident) successOdds *= 0.5;
  const willSucceed = rng.chance(successOdds);
  const errorMix: Partial<Record<ErrorCode, number>> = incident
    ? { invalid_api_key: 10, parameter_invalid: 2, resource_missing: 0.5 }
    : { parameter_invalid: 5, invalid_api_key: 2.5, resource_missing: 1, rate_limit_exceeded: 0.5 };
  const failing = willSucceed ? (rng.chance(incident ? 0.6 : 0.35) ? rng.int(1, 3) : 0) : rng.int(1, 5);

  wait(rng.logNormal(6 * MINUTE, 1.3));
  let lastError: ErrorCode | undefined;
  for (let i = 0; i < failing; i++) {
    lastError = rng.weighted(errorMix as Record<ErrorCode, number>);
    call(lastError === 'resource_missing' ? CALLS.retrieve : CALLS.create, lastError);
    wait(rng.logNormal(40 * SECOND, 0.8));
    const helpPage =
      lastError === 'invalid_api_key' ? (rng.chance(0.6) ? PATHS.authentication : PATHS.errors) : rng.chance(0.6) ? PATHS.errors : PATHS.firstCall;
    if (rng.chance(0.7)) readPage(helpPage, 0.2, true);
    wait(rng.logNormal(3 * MINUTE, 1.2));
  }

  if (!willSucceed) {
    if (rng.chance(0.3)) {
      const topic = lastError === 'invalid_api_key' ? 'api_keys' : lastError === 'rate_limit_exceeded' ? 'rate_limits' : rng.pick(['first_call', 'errors']);
      const path = [...read].pop() ?? PATHS.errors;
      emit('support_ticket_created', { topic, path, $lib: 'posthog-node' });
    }
    // A few stalled developers come back much later (outside the default window) and get it working.
    if (!rng.chance(incident ? 0.05 : 0.15)) return out;
    wait(rng.logNormal(16 * DAY, 0.3));
    newSession();
    readPage(PATHS.firstCall);
  }

  call(CALLS.create);
  postSuccessUsage();
  return out;

  function postSuccessUsage() {
    const calls = rng.int(2, 40);
    const spanMs = rng.logNormal(4 * DAY, 1);
    const gap = spanMs / calls;
    for (let i = 0; i < calls && !stopped; i++) {
      wait(rng.logNormal(gap, 1));
      const spec = rng.weighted({ create: 6, retrieve: 2.5, list: 1.5 });
      const roll = rng.next();
      const error: ErrorCode | undefined =
        roll < 0.04
          ? 'parameter_invalid'
          : roll < 0.1
            ? spec === 'retrieve'
              ? 'resource_missing'
              : undefined
            : roll < 0.115
              ? 'rate_limit_exceeded'
              : undefined;
      if (error === 'rate_limit_exceeded') {
        // A tight loop in someone's script: a burst of 429s.
        for (let k = rng.int(2, 5); k > 0; k--) {
          call(CALLS.create, error);
          wait(200);
        }
      } else {
        call(CALLS[spec], error);
      }
      if (rng.chance(0.12)) readPage(rng.pick([PATHS.pagination, PATHS.listMessages, PATHS.rateLimits, PATHS.instrument, PATHS.retrieveMessage, PATHS.errors]));
    }
    if (rng.chance(0.03))
      emit('support_ticket_created', { topic: rng.pick(SUPPORT_TOPICS), path: [...read].pop() ?? PATHS.introduction, $lib: 'posthog-node' });
    if (rng.chance(0.08)) {
      wait(rng.logNormal(2 * DAY, 0.8));
      emit('api_key_revoked', { key_prefix: keyPrefix, $lib: 'posthog-node' });
      wait(rng.logNormal(10 * MINUTE, 1));
      // The forgotten script still using the old key.
      if (rng.chance(0.5)) call(CALLS.create, 'revoked_api_key');
      keyPrefix = `onr_test_${rng.base62(8)}`;
      wait(MINUTE);
      emit('api_key_created', { key_prefix: keyPrefix, name: 'rotated', $lib: 'posthog-node' });
    }
  }
}
