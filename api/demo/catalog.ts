/**
 * The portal as the demo developers see it: page paths (as Astro/Starlight emit them, trailing slash),
 * how each page is rated, and what the sandbox answers. Kept apart from the journey logic so the paths can
 * follow the real site content without touching the behaviour model.
 */

export const DEMO_ORIGIN = 'http://127.0.0.1:8787';

export const PATHS = {
  home: '/',
  introduction: '/docs/introduction/',
  authentication: '/docs/authentication/',
  firstCall: '/docs/first-call/',
  errors: '/docs/errors/',
  rateLimits: '/docs/rate-limits/',
  pagination: '/docs/pagination/',
  changelog: '/docs/changelog/',
  instrument: '/docs/instrument-your-api/',
  createMessage: '/docs/api/create-message/',
  retrieveMessage: '/docs/api/retrieve-message/',
  listMessages: '/docs/api/list-messages/',
  signup: '/signup/',
  dashboard: '/dashboard/',
} as const;

/** The document title each page's `$pageview` carries (posthog-js sends `title`), as the site renders it. */
export const PAGE_TITLES: Record<string, string> = {
  [PATHS.home]: 'Onramp Developers — send your first message in five minutes',
  [PATHS.introduction]: 'Introduction | Onramp Developers',
  [PATHS.authentication]: 'Authentication | Onramp Developers',
  [PATHS.firstCall]: 'Make your first call | Onramp Developers',
  [PATHS.errors]: 'Errors | Onramp Developers',
  [PATHS.rateLimits]: 'Rate limits | Onramp Developers',
  [PATHS.pagination]: 'Pagination | Onramp Developers',
  [PATHS.changelog]: 'Changelog | Onramp Developers',
  [PATHS.instrument]: 'Instrument your own API | Onramp Developers',
  [PATHS.createMessage]: 'Create a message | Onramp Developers',
  [PATHS.retrieveMessage]: 'Retrieve a message | Onramp Developers',
  [PATHS.listMessages]: 'List messages | Onramp Developers',
  [PATHS.signup]: 'Sign up | Onramp Developers',
  [PATHS.dashboard]: 'Dashboard | Onramp Developers',
  '/quickstarts/curl/': 'Quickstart with curl | Onramp Developers',
  '/quickstarts/node/': 'Quickstart with Node.js | Onramp Developers',
  '/quickstarts/python/': 'Quickstart with Python | Onramp Developers',
};

export type Language = 'curl' | 'node' | 'python';
export const LANGUAGES: readonly Language[] = ['curl', 'node', 'python'];
export const QUICKSTART_PATH: Record<Language, string> = {
  curl: '/quickstarts/curl/',
  node: '/quickstarts/node/',
  python: '/quickstarts/python/',
};
/** The code-block language a copy button reports for each quickstart. */
export const CODE_LANGUAGE: Record<Language, string> = { curl: 'bash', node: 'javascript', python: 'python' };

/** Reasons offered by the "Was this page helpful?" widget after a "no". */
export const REASONS = ['code_didnt_work', 'missing_information', 'hard_to_follow', 'outdated', 'other'] as const;
export type Reason = (typeof REASONS)[number];

export interface PageRating {
  /** Probability that a vote on this page is "helpful". */
  helpful: number;
  /** Weights of the reasons given with a "not helpful" vote. */
  reasons: Partial<Record<Reason, number>>;
  /** Comments left with "not helpful" votes; some votes carry one. */
  complaints: readonly string[];
  praise: readonly string[];
}

const neutralPraise = ['Clear and to the point.', 'Exactly what I needed.', 'Thanks, this worked first time.'];

/**
 * How readers rate each page in normal times. The authentication page is rated separately during the
 * demo's incident week (see journeys.ts), which is what makes it the page behind the flagged drop.
 */
export const PAGE_RATINGS: Record<string, PageRating> = {
  [PATHS.introduction]: {
    helpful: 0.88,
    reasons: { missing_information: 3, hard_to_follow: 1 },
    complaints: ['Would like a diagram of how keys, messages and webhooks relate.'],
    praise: neutralPraise,
  },
  [PATHS.authentication]: {
    helpful: 0.8,
    reasons: { missing_information: 2, hard_to_follow: 2, code_didnt_work: 1 },
    complaints: ['Took me a while to see test and live keys differ only by prefix.'],
    praise: ['The test vs live prefix table is great.', ...neutralPraise],
  },
  [PATHS.firstCall]: {
    helpful: 0.84,
    reasons: { code_didnt_work: 2, missing_information: 1 },
    complaints: ['Say that `to` must be E.164 before the example, not after.'],
    praise: ['The try-it console saved me a lot of time.', ...neutralPraise],
  },
  [PATHS.errors]: {
    helpful: 0.38,
    reasons: { missing_information: 5, hard_to_follow: 2, other: 1 },
    complaints: [
      'invalid_api_key says "check your key" but not what is wrong with it.',
      'No example of the full error body for parameter_invalid.',
      'Which errors are safe to retry? Not explained.',
      'The fix for rate_limit_exceeded should mention Retry-After.',
    ],
    praise: ['Good list of codes.'],
  },
  [PATHS.rateLimits]: {
    helpful: 0.7,
    reasons: { missing_information: 3, hard_to_follow: 1 },
    complaints: ['Is the limit per key or per account?'],
    praise: neutralPraise,
  },
  [PATHS.pagination]: {
    helpful: 0.46,
    reasons: { hard_to_follow: 4, code_didnt_work: 2, missing_information: 1 },
    complaints: ['The cursor example loops forever if you forget has_more.', 'Unclear whether next_cursor is null or missing on the last page.'],
    praise: neutralPraise,
  },
  [PATHS.changelog]: { helpful: 0.75, reasons: { outdated: 2, missing_information: 1 }, complaints: ['Dates would help.'], praise: neutralPraise },
  [PATHS.instrument]: {
    helpful: 0.8,
    reasons: { missing_information: 2, code_didnt_work: 1 },
    complaints: ['Show the Express version too.'],
    praise: neutralPraise,
  },
  [PATHS.createMessage]: {
    helpful: 0.86,
    reasons: { missing_information: 1 },
    complaints: ['What is the max body length in bytes vs characters?'],
    praise: neutralPraise,
  },
  [PATHS.retrieveMessage]: { helpful: 0.83, reasons: { missing_information: 1 }, complaints: ['Document the 404 body.'], praise: neutralPraise },
  [PATHS.listMessages]: {
    helpful: 0.72,
    reasons: { hard_to_follow: 2, missing_information: 1 },
    complaints: ['Newest first? Say so at the top.'],
    praise: neutralPraise,
  },
  [QUICKSTART_PATH.curl]: {
    helpful: 0.93,
    reasons: { code_didnt_work: 1 },
    complaints: ['Windows cmd needs different quoting.'],
    praise: ['Zero to working call in two minutes.', ...neutralPraise],
  },
  [QUICKSTART_PATH.node]: {
    helpful: 0.85,
    reasons: { code_didnt_work: 2, missing_information: 1 },
    complaints: ['Which Node version is needed for fetch?'],
    praise: neutralPraise,
  },
  [QUICKSTART_PATH.python]: {
    helpful: 0.78,
    reasons: { code_didnt_work: 2, hard_to_follow: 1 },
    complaints: ['requests is not installed by default, say pip install requests.'],
    praise: neutralPraise,
  },
};

/** Ratings of the authentication page once last week's broken key example shipped. */
export const INCIDENT_AUTH_RATING: PageRating = {
  helpful: 0.18,
  reasons: { code_didnt_work: 6, outdated: 2, hard_to_follow: 1 },
  complaints: [
    'Copied the Authorization example and every call returns invalid_api_key.',
    'The copy button on the key example cuts off the end of the key.',
    'Followed this page exactly, still 401 invalid_api_key.',
    'Something changed here last week, the example header no longer works.',
  ],
  praise: ['Fine once I typed the key by hand.'],
};

export type Endpoint = '/sandbox/v1/messages' | '/sandbox/v1/messages/:id';

export interface SandboxCall {
  method: 'GET' | 'POST';
  endpoint: Endpoint;
  /** Median latency of a successful call in ms. */
  medianMs: number;
}

export const CALLS = {
  create: { method: 'POST', endpoint: '/sandbox/v1/messages', medianMs: 48 },
  retrieve: { method: 'GET', endpoint: '/sandbox/v1/messages/:id', medianMs: 14 },
  list: { method: 'GET', endpoint: '/sandbox/v1/messages', medianMs: 27 },
} as const satisfies Record<string, SandboxCall>;

/** Sandbox error codes with the status the sandbox answers them with. */
export const ERROR_STATUS = {
  invalid_api_key: 401,
  revoked_api_key: 401,
  parameter_invalid: 400,
  resource_missing: 404,
  rate_limit_exceeded: 429,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

/** Topics of the portal's "Contact support" form (api/routes/support.ts) that settled developers pick. */
export const SUPPORT_TOPICS = ['docs', 'account', 'rate_limits', 'other'] as const;
