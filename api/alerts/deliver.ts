import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { type CheckedTarget, checkWebhookTarget, REFUSED_PRIVATE, urlHost, type WebhookTargetPolicy } from './webhook-target.ts';

export interface DeliveryOptions extends WebhookTargetPolicy {
  /** Attempts in total, the first included (default 4). */
  maxAttempts?: number;
  /** Wait before the 2nd attempt; doubles each time (default 1 s: 1, 2, 4 s). */
  baseDelayMs?: number;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
}

export interface DeliveryResult {
  /** `would_fire`: the rule has no webhook, so nothing was sent; the log records the alert it would have sent. */
  status: 'delivered' | 'failed' | 'would_fire';
  attempts: number;
  responseStatus: number | null;
  error: string | null;
}

/** Network errors, timeouts, 5xx and 429 may pass on a later try; other 4xx (bad URL, revoked hook) will not. */
function retryable(status: number | null): boolean {
  return status === null || status >= 500 || status === 429 || status === 408;
}

/** A resolver that answers every name with the checked address, so the socket goes where the check said. */
function pinnedLookup(target: CheckedTarget): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as LookupFunction;
}

/**
 * One POST to `url`, connected to `target` (Host header and TLS SNI keep the URL's name). Resolves to the response
 * status; never follows redirects (a 3xx is a failed delivery, not a second request to wherever it points).
 */
function postOnce(url: URL, target: CheckedTarget, payload: string, timeoutMs: number): Promise<number> {
  const host = urlHost(url);
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request({
      method: 'POST',
      hostname: host,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      headers: { 'content-type': 'application/json', 'user-agent': 'onramp-alerts', 'content-length': Buffer.byteLength(payload) },
      lookup: pinnedLookup(target),
      ...(url.protocol === 'https:' && isIP(host) === 0 ? { servername: host } : {}),
      // A fresh connection each time: a pooled socket could have been opened to an address checked earlier.
      agent: false,
      signal: AbortSignal.timeout(timeoutMs),
    });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(payload);
  });
}

/**
 * POSTs a JSON body to a webhook, retrying with exponential backoff; never throws. Each attempt resolves the host
 * again and connects only to the address it checked; a target refused by the policy fails at once with
 * {@link REFUSED_PRIVATE}, before any connection. Network failures are logged as "connection failed" or "timed out",
 * never the socket error, so the delivery log cannot be used to probe which ports answer.
 */
export async function deliverWebhook(url: string, body: unknown, options: DeliveryOptions = {}): Promise<DeliveryResult> {
  const maxAttempts = options.maxAttempts ?? 4;
  const baseDelay = options.baseDelayMs ?? 1000;
  const parsed = new URL(url);
  const payload = JSON.stringify(body);
  let responseStatus: number | null = null;
  let error: string | null = null;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const checked = await checkWebhookTarget(parsed, options);
    if (!checked.ok && checked.reason === 'private') return { status: 'failed', attempts: attempt, responseStatus: null, error: REFUSED_PRIVATE };
    if (!checked.ok) {
      responseStatus = null;
      error = 'could not resolve the host';
    } else {
      try {
        responseStatus = await postOnce(parsed, checked.target, payload, options.timeoutMs ?? 10_000);
        if (responseStatus >= 200 && responseStatus < 300) return { status: 'delivered', attempts: attempt, responseStatus, error: null };
        error = `HTTP ${responseStatus}`;
      } catch (err) {
        responseStatus = null;
        error = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError' ? 'timed out' : 'connection failed';
      }
    }
    if (!retryable(responseStatus) || attempt === maxAttempts) return { status: 'failed', attempts: attempt, responseStatus, error };
    await new Promise((resolve) => setTimeout(resolve, baseDelay * 2 ** (attempt - 1)));
  }
  return { status: 'failed', attempts: maxAttempts, responseStatus, error };
}
