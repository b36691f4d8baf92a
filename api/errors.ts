import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Extra fields some surfaces add to the error body (the sandbox uses Stripe-like `type` and `doc_url`). */
export interface ApiErrorExtras {
  type?: string;
  doc_url?: string;
  headers?: Record<string, string>;
}

/**
 * The one error type the API throws. `app.onError` turns it into `{ error: { code, message } }` with its status,
 * so every failure, validation included, has the same shape.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly extras: ApiErrorExtras = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody() {
    const { type, doc_url } = this.extras;
    return {
      error: {
        ...(type ? { type } : {}),
        code: this.code,
        message: this.message,
        ...(doc_url ? { doc_url } : {}),
      },
    };
  }
}

/** Formats zod issues as `field: problem` so the message always names the field. */
export function describeIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, prefix = ''): string {
  return issues
    .slice(0, 3)
    .map((issue) => {
      const field = [prefix, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].filter(Boolean).join('.').replace(/\.\[/g, '[');
      return `${field || 'body'}: ${issue.message}`;
    })
    .join('; ');
}

/** Throws a 400 `invalid_request` naming the failing field(s). */
export function invalid(issues: Parameters<typeof describeIssues>[0], prefix = ''): never {
  throw new ApiError(400, 'invalid_request', describeIssues(issues, prefix));
}
