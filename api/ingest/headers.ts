import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/**
 * Reads a request header from Node's already-parsed header object when the app runs under @hono/node-server,
 * instead of `c.req.header()`, which builds a WHATWG `Headers` copy of every header on first use. Falls back to
 * `c.req.header()` under `app.request()` (tests) and other runtimes. `name` must be lower case.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming?.headers) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
