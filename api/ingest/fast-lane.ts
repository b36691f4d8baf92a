import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { getQueryParam } from 'hono/utils/url';
import {
  aborted,
  acceptedReply,
  CAPTURE_PATHS,
  type CaptureCore,
  type CaptureDeps,
  type CaptureHead,
  type CaptureReply,
  captureCoreOf,
  declaredLength,
  errorReply,
  tooLarge,
} from './capture-core.ts';
import { MAX_BODY_BYTES } from './decode.ts';

const FAST_PATHS = new Set<string>(CAPTURE_PATHS.flatMap((p) => [p, `${p}/`]));
// The request targets and hosts @hono/node-server takes as they are; anything else it normalises through `new URL`
// (or refuses), so such a request is left to it rather than re-implementing that here.
const PLAIN_TARGET = /^\/[!$&-;=?-[\]_a-z~]*$/;
const DOT_SEGMENT = /\/\.\.?(?:[/?#]|$)/;
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;
/** Unread body bytes discarded after an early reply before the connection is closed instead (as node-server). */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const DRAIN_TIMEOUT_MS = 500;

const ACCEPTED_ANY_ORIGIN = acceptedReply(undefined);

/** Whether this request is a capture POST the fast lane answers exactly as the Hono route would. */
function isPlainCapture(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url ?? '';
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  if (!FAST_PATHS.has(path)) return false;
  const host = req.headers.host;
  return host !== undefined && PLAIN_HOST.test(host) && PLAIN_TARGET.test(url) && !url.includes('#') && !DOT_SEGMENT.test(url);
}

/** Request headers from Node's parsed header object, query parameters through Hono's own parser. */
class NodeCaptureHead implements CaptureHead {
  private url: string | undefined;
  constructor(private readonly req: IncomingMessage) {}

  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  query(name: string): string | undefined {
    // Hono's parser over the URL Hono would have built, so both lanes read the same parameters.
    if (!this.req.url!.includes('?')) return undefined;
    return getQueryParam((this.url ??= `http://${this.req.headers.host}${this.req.url}`), name) as string | undefined;
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
  if (reply.status === 200) {
    // Set one by one and ended with the body, so Node adds Content-Length after its own headers: the same bytes
    // as @hono/node-server's reply from a plain header record.
    for (const name in reply.headers) res.setHeader(name, reply.headers[name]!);
    res.statusCode = 200;
    res.end(reply.body);
  } else {
    res.writeHead(reply.status, { ...reply.headers, 'Content-Length': Buffer.byteLength(reply.body) });
    res.end(reply.body);
    if (!req.readableEnded) res.once('finish', () => drainRest(req));
  }
}

/**
 * A node:http request listener that answers the capture POSTs itself, straight from `IncomingMessage` and
 * `ServerResponse` through the shared capture core, and hands every other request to `fallback` (Hono's listener).
 * It skips building a WHATWG Request, routing and middleware for the one endpoint that carries the load; replies
 * are byte for byte those of the Hono route (test/capture-fast-lane.test.ts compares them).
 */
export function captureFastLane(deps: CaptureDeps | { core: CaptureCore }, fallback: RequestListener): RequestListener {
  const core = captureCoreOf(deps);
  return (req, res) => {
    if (!isPlainCapture(req)) return fallback(req, res);
    const head = new NodeCaptureHead(req);
    const origin = head.header('origin');
    core
      .capture(head, () => readBody(req, head))
      .then(
        () => send(req, res, origin ? acceptedReply(origin) : ACCEPTED_ANY_ORIGIN),
        (err: unknown) => send(req, res, errorReply(err, origin)),
      );
  };
}
