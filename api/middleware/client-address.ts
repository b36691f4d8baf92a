import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import proxyAddr from 'proxy-addr';

/** What `clientAddressResolver` puts on the context. */
interface ResolvedClient {
  /** The client's address: the TCP peer, or behind a trusted proxy the right-most untrusted X-Forwarded-For hop. */
  address: string;
  /** True when the TCP peer is one of ONRAMP_TRUSTED_PROXIES, so its X-Forwarded-* headers are believed. */
  viaTrustedProxy: boolean;
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by `clientAddressResolver`, read through `clientAddress(c)` and `isHttps(c, ...)`. */
    client?: ResolvedClient;
  }
}

/** Address used when a request has no socket (made in-process, as tests do). */
const NO_SOCKET = 'unknown';

/**
 * The entries of ONRAMP_TRUSTED_PROXIES (comma-separated IPs or CIDRs, or proxy-addr's names `loopback`,
 * `linklocal`, `uniquelocal`). Throws an Error describing the first invalid entry.
 */
export function parseTrustedProxies(value: string | undefined): string[] {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    try {
      proxyAddr.compile(entry);
    } catch (err) {
      throw new Error(`${JSON.stringify(entry)} is not an IP address or CIDR range (${(err as Error).message})`);
    }
  }
  return entries;
}

/** The TCP peer's address as @hono/node-server passes the connection, or undefined without a socket. */
function peerAddress(c: Context): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress;
}

/**
 * Resolves each request's client address once, before any route: the TCP peer, unless that peer is a trusted
 * proxy, in which case the right-most X-Forwarded-For address that is not itself trusted (proxy-addr's rule, so
 * a client cannot prepend addresses of its choosing). With no trusted proxies, X-Forwarded-For is ignored.
 */
export function clientAddressResolver(trustedProxies: readonly string[]): MiddlewareHandler {
  const trust = proxyAddr.compile([...trustedProxies]);
  return async (c, next) => {
    const peer = peerAddress(c);
    if (peer === undefined) {
      c.set('client', { address: NO_SOCKET, viaTrustedProxy: false });
    } else {
      const request = { socket: { remoteAddress: peer }, connection: { remoteAddress: peer }, headers: { 'x-forwarded-for': c.req.header('x-forwarded-for') } };
      c.set('client', { address: proxyAddr(request as unknown as IncomingMessage, trust), viaTrustedProxy: trust(peer, 0) });
    }
    await next();
  };
}

/**
 * The client's address, as every rate limit and lockout keys it: what `clientAddressResolver` found, or the TCP
 * peer when the resolver is not mounted.
 */
export function clientAddress(c: Context): string {
  return c.get('client')?.address ?? peerAddress(c) ?? NO_SOCKET;
}

/**
 * True when the request reached us over HTTPS: the public URL is HTTPS, the URL itself is, or a trusted proxy says
 * so in X-Forwarded-Proto (from anyone else that header is ignored).
 */
export function isHttps(c: Context, publicUrl: string | undefined): boolean {
  if (publicUrl?.startsWith('https:')) return true;
  if (new URL(c.req.url).protocol === 'https:') return true;
  if (c.get('client')?.viaTrustedProxy !== true) return false;
  return c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}

/**
 * The origin this app is served at, for same-origin checks: ONRAMP_PUBLIC_URL's when it is set (the Host header
 * is then never trusted), else the request URL's, which comes from the Host header.
 */
export function ownOrigin(c: Context, publicUrl: string | undefined): string {
  return new URL(publicUrl ?? c.req.url).origin;
}

/**
 * The base URL (no trailing slash) a client reaches the portal at, for absolute links in responses: ONRAMP_PUBLIC_URL
 * when set; else this request's origin, with `https` when `isHttps` says so (a trusted proxy's X-Forwarded-Proto
 * included) and the host from the Host header, which only shapes the answer to the client that sent it.
 */
export function requestBaseUrl(c: Context, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  const url = new URL(c.req.url);
  return `${isHttps(c, undefined) ? 'https:' : url.protocol}//${url.host}`;
}
