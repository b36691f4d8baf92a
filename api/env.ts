import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { databaseDialect } from '../db/dialect.ts';
import { jsonParam, propertyFiltersSchema } from './analytics/property-filter-schema.ts';
import { parseTrustedProxies } from './middleware/client-address.ts';

const flag = z.enum(['0', '1']).transform((v) => v === '1');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .min(1)
    .default('file:./data/onramp.db')
    .superRefine((url, ctx) => {
      try {
        databaseDialect(url);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^Invalid environment variable DATABASE_URL: /, '') });
      }
    }),
  ONRAMP_PROJECT_TOKEN: z.string().min(1).max(200).default('phc_onramp_local'),
  ONRAMP_ADMIN_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters')
    .refine((token) => new Set(token).size >= 16, 'must use at least 16 different characters (a random token, not a repeated word)')
    .optional(),
  /**
   * Reverse proxies (comma-separated IPs or CIDRs) whose X-Forwarded-For and X-Forwarded-Proto are believed; empty:
   * the TCP peer is the client.
   */
  ONRAMP_TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((value, ctx) => {
      try {
        return parseTrustedProxies(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * Token for server-side events (posthog-node's api key): the server-defined milestones (signed_up, api_key_created,
   * api_key_revoked, api_call, support_ticket_created) are accepted only with it. Unset: generated at first start
   * and kept in the database (api/server-token.ts).
   */
  ONRAMP_SERVER_TOKEN: z.string().min(16, 'must be at least 16 characters').max(200).optional(),
  /** `1` accepts server-defined events with the public project token too (the old behaviour; warned at start). */
  ONRAMP_ACCEPT_PUBLIC_SERVER_EVENTS: flag.default(false),
  ONRAMP_DEMO: flag.default(true),
  /** 1: alert webhooks may target loopback and private networks (a receiver on your LAN); refused by default. */
  ONRAMP_ALERTS_ALLOW_PRIVATE_WEBHOOKS: flag.default(false),
  /** Where the backend's own posthog-node client sends server-side funnel events; defaults to this server. */
  ONRAMP_POSTHOG_HOST: z.url().optional(),
  /** Public URL of the portal, used for absolute links and the Secure cookie flag behind HTTPS. */
  ONRAMP_PUBLIC_URL: z.url().optional(),
  /** Events allowed to wait for a commit before capture answers 503 + Retry-After (back-pressure, bounded memory). */
  ONRAMP_MAX_QUEUED_EVENTS: z.coerce.number().int('must be a whole number').min(1).max(10_000_000).default(100_000),
  /**
   * Acknowledged events allowed to wait in the ingest log before every commit also applies a chunk: how far reports
   * may fall behind capture during a burst (each report first catches up, about 40k events per second).
   */
  ONRAMP_MAX_INGEST_BACKLOG: z.coerce.number().int('must be a whole number').min(1_000).max(100_000_000).default(1_000_000),
  /** Time a client has to send its request headers before the connection is closed (slowloris defence). */
  ONRAMP_HEADERS_TIMEOUT_MS: z.coerce.number().int('must be a whole number').min(500).max(600_000).default(10_000),
  /** Time a client has to send a whole request, headers and body; capture bodies are at most 1 MiB. */
  ONRAMP_REQUEST_TIMEOUT_MS: z.coerce.number().int('must be a whole number').min(1_000).max(3_600_000).default(30_000),
  /** How long an idle keep-alive connection stays open after a response; above a load balancer's idle timeout. */
  ONRAMP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int('must be a whole number').min(100).max(600_000).default(5_000),
  /** Most TCP connections open at once; further ones are closed on arrival, so sockets cannot exhaust memory or fds. */
  ONRAMP_MAX_CONNECTIONS: z.coerce.number().int('must be a whole number').min(16).max(1_000_000).default(4_096),
  /**
   * Property filters (JSON PropertyFilter[]) every counted funnel event and its person must pass when a funnel asks
   * for `filterTestAccounts=true`: PostHog's "filter out internal and test users".
   */
  ONRAMP_TEST_ACCOUNT_FILTERS: jsonParam(propertyFiltersSchema).optional(),
  /** Availability target of the API health report's SLO budget (request-based: share of calls without a 5xx). */
  ONRAMP_API_SLO: z.coerce.number('must be a number').gt(0, 'must be above 0').lt(1, 'must be below 1 (0.999 is three nines)').default(0.999),
  /** Days raw `api_call` rows are kept (rollups and per-person call facts are kept for good); 0 keeps them forever. */
  ONRAMP_API_CALL_RAW_DAYS: z.coerce.number().int('must be a whole number of days').min(0).max(36_500).default(30),
  /** Days minute rollups are kept (hour and day rollups are kept for good); 0 keeps them forever. */
  ONRAMP_API_CALL_MINUTE_DAYS: z.coerce.number().int('must be a whole number of days').min(0).max(36_500).default(7),
  /** PostHog host that committed events are mirrored to (api/ingest/forward.ts); needs ONRAMP_FORWARD_TOKEN. */
  ONRAMP_FORWARD_HOST: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /** Project token of the PostHog project that receives the mirror; needs ONRAMP_FORWARD_HOST. */
  ONRAMP_FORWARD_TOKEN: z.string().min(1, 'must not be empty').max(200).optional(),
});

/** Mirroring needs both halves; one alone is a configuration mistake, not a reason to silently skip it. */
function missingForwardVariable(env: z.infer<typeof envSchema>): string | undefined {
  if (env.ONRAMP_FORWARD_HOST && !env.ONRAMP_FORWARD_TOKEN) {
    return 'Invalid environment variable ONRAMP_FORWARD_TOKEN: required when ONRAMP_FORWARD_HOST is set';
  }
  if (env.ONRAMP_FORWARD_TOKEN && !env.ONRAMP_FORWARD_HOST) {
    return 'Invalid environment variable ONRAMP_FORWARD_HOST: required when ONRAMP_FORWARD_TOKEN is set';
  }
  return undefined;
}

export type Env = z.infer<typeof envSchema> & { ONRAMP_ADMIN_TOKEN: string; adminTokenGenerated: boolean };

/**
 * Parses the environment once. A bad value throws an Error whose message is a single line naming the variable,
 * so server.ts can print it and exit.
 */
export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`Invalid environment variable ${String(issue.path[0])}: ${issue.message}`);
  }
  const missing = missingForwardVariable(result.data);
  if (missing) throw new Error(missing);
  // The server token is the one secret that separates server events from what any browser can send.
  if (result.data.ONRAMP_SERVER_TOKEN === result.data.ONRAMP_PROJECT_TOKEN) {
    throw new Error('Invalid environment variable ONRAMP_SERVER_TOKEN: must differ from ONRAMP_PROJECT_TOKEN, which is public');
  }
  const generated = !result.data.ONRAMP_ADMIN_TOKEN;
  return {
    ...result.data,
    ONRAMP_ADMIN_TOKEN: result.data.ONRAMP_ADMIN_TOKEN ?? `onr_admin_${randomBytes(24).toString('base64url')}`,
    adminTokenGenerated: generated,
  };
}
