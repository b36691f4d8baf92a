import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { getPathNoStrict, getQueryParam, tryDecodeURIComponent } from 'hono/utils/url';
import { ApiError } from '../errors.ts';
import {
  aborted,
  acceptedReply,
  CAPTURE_PATHS,
  type CaptureCore,
  type CaptureHead,
  type CaptureReply,
  captureCorsHeaders,
  declaredLength,
  errorReply,
  tooLarge,
} from './capture-core.ts';
import { preflightHeaders } from './cors.ts';
import { MAX_BODY_BYTES } from './decode.ts';
import { noFlags, remoteConfig, remoteConfigScript } from './posthog-support.ts';

const CAPTURE = new Set<string>(CAPTURE_PATHS);
const FLAGS = new Set(['/flags', '/decide']);
const CONFIG = /^\/array\/([^/]+)\/config(\.js)?$/;
// Targets and hosts taken as they are; anything else is normalised through `new URL`, as @hono/node-server does,
// so the capture surface and the rest of the app agree on which path a request names.
const PLAIN_TARGET = /^\/[!$&-;=?-[\]_a-z~]*$/;
const DOT_SEGMENT = /\/\.\.?(?:[/?#]|$)/;
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;
/** Unread body bytes discarded after an early reply before the connection is closed instead (as node-server). */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const DRAIN_TIMEOUT_MS = 500;

const ACCEPTED_ANY_ORIGIN = acceptedReply(undefined);

/** The request's absolute URL as the rest of the app would see it, or undefined when it names none (Hono answers). */
export function requestUrl(req: IncomingMessage): string | undefined {
  const target = req.url ?? '';
  if (target.startsWith('http://') || target.startsWith('https://')) return parsedHref(target);
  const host = req.headers.host;
  if (!host || target[0] !== '/') return undefined;
  const url = `${(req.socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http'}://${host}${target}`;
  if (PLAIN_HOST.test(host) && PLAIN_TARGET.test(target) && !DOT_SEGMENT.test(target)) return url;
  const href = parsedHref(url);
  if (href === undefined || PLAIN_HOST.test(host)) return href;
  // A host the URL parser rewrote into another name is refused by Hono; leave it to Hono.
  const hostname = new URL(href).hostname;
  const given = (host.includes(':') ? host.replace(/:\d+$/, '') : host).toLowerCase();
  return hostname.length === host.length || hostname === given ? href : undefined;
}

function parsedHref(url: string): string | undefined {
  try {
    return new URL(url).href;
  } catch {
    return undefined;
  }
}

/** A path of the capture surface: what is served there. */
export type CaptureRoute = { kind: 'capture' | 'flags' | 'array' } | { kind: 'config'; token: string; script: boolean };

/** What the capture surface serves at a path (one trailing slash ignored), or undefined for the rest of the app. */
export function captureRoute(path: string): CaptureRoute | undefined {
  if (CAPTURE.has(path)) return { kind: 'capture' };
  if (FLAGS.has(path)) return { kind: 'flags' };
  const config = CONFIG.exec(path);
  if (config) return { kind: 'config', token: tryDecodeURIComponent(config[1]!), script: config[2] !== undefined };
  // Other paths under /array/ answer their preflight, and otherwise a 404 with CORS, like the rest of the surface.
  if (path.startsWith('/array/') && path.length > '/array/'.length) return { kind: 'array' };
  return undefined;
}

/** Request headers from Node's parsed header object, query parameters through Hono's own parser. */
class NodeCaptureHead implements CaptureHead {
  constructor(
    private readonly req: IncomingMessage,
    private readonly url: string,
  ) {}

  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  query(name: string): string | undefined {
    if (!this.url.includes('?')) return undefined;
    return getQueryParam(this.url, name) as string | undefined;
  }
}

/** Reads the whole body, or rejects at the 1 MiB cap (413) or when the client goes away (400, never answered). */
function readBody(req: IncomingMessage, head: CaptureHead): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    declaredLength(head);
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    // Settling twice is a no-op, so 'close' after 'end' needs no check beyond `complete`.
    req.on('data', onData);
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', () => reject(aborted()));
    req.on('close', () => {
      if (!req.complete) reject(aborted());
    });
  });
}

/** Discards what is left of a body the reply did not need, closing the connection if that is too much or too slow. */
function drainRest(req: IncomingMessage) {
  if (req.readableEnded || req.destroyed) return;
  let read = 0;
  const forceClose = () => {
    cleanup();
    req.socket?.destroySoon();
  };
  const onData = (chunk: Buffer) => {
    read += chunk.length;
    if (read > MAX_DRAIN_BYTES) forceClose();
  };
  const cleanup = () => {
    clearTimeout(timer);
    req.off('data', onData);
  };
  const timer = setTimeout(forceClose, DRAIN_TIMEOUT_MS);
  timer.unref();
  req.on('data', onData);
  req.once('end', cleanup);
  req.once('error', cleanup);
  req.resume();
}

function send(req: IncomingMessage, res: ServerResponse, reply: CaptureReply) {
  if (res.destroyed) return;
  if (req.method === 'HEAD' || reply.status === 204) {
    res.writeHead(reply.status, reply.headers);
    res.end();
  } else {
    res.writeHead(reply.status, { ...reply.headers, 'Content-Length': Buffer.byteLength(reply.body) });
    res.end(reply.body);
  }
  if (!req.readableEnded) res.once('finish', () => drainRest(req));
}

const jsonReply = (status: number, body: unknown, origin: string | undefined, contentType = 'application/json'): CaptureReply => ({
  status,
  headers: { 'Content-Type': contentType, ...captureCorsHeaders(origin) },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

/** The answer to everything on the capture surface but a capture POST, which needs the body and the writer. */
function supportReply(req: IncomingMessage, route: CaptureRoute, path: string, origin: string | undefined): CaptureReply {
  const method = req.method ?? 'GET';
  if (method === 'OPTIONS') return { status: 204, headers: preflightHeaders(origin, req.headers['access-control-request-headers']), body: '' };
  const get = method === 'GET' || method === 'HEAD';
  if (route.kind === 'flags' && method === 'POST') return jsonReply(200, noFlags(), origin);
  if (route.kind === 'config' && get) {
    return route.script
      ? jsonReply(200, remoteConfigScript(route.token), origin, 'application/javascript; charset=utf-8')
      : jsonReply(200, remoteConfig(route.token), origin);
  }
  return errorReply(new ApiError(404, 'not_found', `path: no route for ${method} ${path}`), origin);
}

/**
 * The whole capture surface on node:http: the capture POSTs (`/e`, `/i/v0/e`, `/batch`, `/capture`, `/track`, each
 * with or without a trailing slash, whatever the host or target form), their CORS preflights, `/flags`, `/decide`
 * and the posthog-js remote config under `/array/`. Bodies go straight from `IncomingMessage` into the process's one
 * capture core (and so its one body budget), with no WHATWG Request, router or middleware on the hot path. Every
 * other request goes to `fallback` (the Hono app), which routes no capture path. Why: docs/adr/0002.
 */
export function captureListener(core: CaptureCore, fallback: RequestListener): RequestListener {
  return (req, res) => {
    const url = requestUrl(req);
    const path = url === undefined ? undefined : getPathNoStrict({ url } as Request);
    const route = path === undefined ? undefined : captureRoute(path);
    if (!route) return fallback(req, res);
    const head = new NodeCaptureHead(req, url!);
    const origin = head.header('origin');
    if (route.kind !== 'capture' || req.method !== 'POST') return send(req, res, supportReply(req, route, path!, origin));
    core
      .capture(head, () => readBody(req, head))
      .then(
        () => send(req, res, origin ? acceptedReply(origin) : ACCEPTED_ANY_ORIGIN),
        (err: unknown) => send(req, res, errorReply(err, origin)),
      );
  };
}
