export interface DeliveryOptions {
  /** Attempts in total, the first included (default 4). */
  maxAttempts?: number;
  /** Wait before the 2nd attempt; doubles each time (default 1 s: 1, 2, 4 s). */
  baseDelayMs?: number;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface DeliveryResult {
  status: 'delivered' | 'failed';
  attempts: number;
  responseStatus: number | null;
  error: string | null;
}

/** Network errors, timeouts, 5xx and 429 may pass on a later try; other 4xx (bad URL, revoked hook) will not. */
function retryable(status: number | null): boolean {
  return status === null || status >= 500 || status === 429 || status === 408;
}

/** POSTs a JSON body to a webhook, retrying with exponential backoff; never throws. */
export async function deliverWebhook(url: string, body: unknown, options: DeliveryOptions = {}): Promise<DeliveryResult> {
  const maxAttempts = options.maxAttempts ?? 4;
  const baseDelay = options.baseDelayMs ?? 1000;
  const doFetch = options.fetch ?? fetch;
  const payload = JSON.stringify(body);
  let responseStatus: number | null = null;
  let error: string | null = null;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'onramp-alerts' },
        body: payload,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        redirect: 'error',
      });
      responseStatus = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { status: 'delivered', attempts: attempt, responseStatus, error: null };
      error = `HTTP ${res.status}`;
    } catch (err) {
      responseStatus = null;
      error = (err as Error).name === 'TimeoutError' ? 'timed out' : `${(err as Error).message}${(err as { cause?: Error }).cause ? `: ${(err as { cause: Error }).cause.message}` : ''}`;
    }
    if (!retryable(responseStatus) || attempt === maxAttempts) return { status: 'failed', attempts: attempt, responseStatus, error };
    await new Promise((resolve) => setTimeout(resolve, baseDelay * 2 ** (attempt - 1)));
  }
  return { status: 'failed', attempts: maxAttempts, responseStatus, error };
}
