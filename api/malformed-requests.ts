import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** A Host header: a DNS name or IPv4 address, or a bracketed IPv6 address, with an optional port. Nothing else. */
const HOST = /^(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
/** Request targets served: origin-form (`/path?query`), absolute http(s) URLs, and `*` for OPTIONS. */
const ABSOLUTE_HTTP = /^https?:\/\//i;

function errorBody(message: string): string {
  return JSON.stringify({ error: { code: 'bad_request', message } });
}

/** What is wrong with the request line or Host header, or undefined when the request may go on to the app. */
export function malformedRequestProblem(req: Pick<IncomingMessage, 'method' | 'url' | 'rawHeaders'>): string | undefined {
  const target = req.url ?? '';
  if (target === '*') return req.method === 'OPTIONS' ? undefined : 'request target: * is only valid for OPTIONS';
  if (!target.startsWith('/') && !ABSOLUTE_HTTP.test(target)) return 'request target: must be a path starting with / (or an http URL)';
  const queryAt = target.indexOf('?');
  if ((queryAt === -1 ? target : target.slice(0, queryAt)).includes('\\')) return 'path: must not contain a backslash';
  const hosts: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === 'host') hosts.push(req.rawHeaders[i + 1]!);
  if (hosts.length === 0) return 'host: header required';
  if (hosts.length > 1) return 'host: more than one Host header';
  if (!HOST.test(hosts[0]!)) return 'host: must be a host name or IP address with an optional port';
  return undefined;
}

function refuse(res: ServerResponse, message: string): void {
  const body = errorBody(message);
  res.writeHead(400, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  res.end(body);
}

/**
 * Wraps the server's request listener so that requests whose target or Host the app would otherwise mis-handle
 * (a backslash path, a `file://` target, a missing, doubled or malformed Host, which @hono/node-server turns into a
 * bare-text 400 or routes somewhere unexpected) get the API's JSON 400 `bad_request` instead, then the connection
 * is closed. Must be used with `requireHostHeader: false`, so that a missing Host reaches it.
 */
export function rejectMalformedRequests(listener: RequestListener): RequestListener {
  return (req, res) => {
    const problem = malformedRequestProblem(req);
    if (problem === undefined) return listener(req, res);
    refuse(res, problem);
  };
}

/**
 * `CONNECT` never reaches a request listener: Node hands the raw socket to `connect` listeners, or drops it without
 * a word. Onramp is no proxy, so it answers the JSON 400 and closes the connection.
 */
export function refuseConnect(server: Server): void {
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    const body = errorBody('method: CONNECT is not supported; Onramp is not a proxy');
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
