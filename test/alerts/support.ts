import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEventStore } from '../../api/ingest/store.ts';
import type { NormalizedEvent } from '../../api/ingest/validate.ts';
import type { OnrampDb } from '../../db/client.ts';

export interface Receiver {
  url: string;
  bodies: Array<{ text: string; blocks: unknown[] }>;
  /** Statuses to answer with, in order; 200 once exhausted. */
  respond: number[];
  hits: number;
  close: () => Promise<void>;
}

/** A local webhook endpoint that records every JSON body it receives. */
export async function startReceiver(): Promise<Receiver> {
  const receiver: Omit<Receiver, 'url' | 'close'> = { bodies: [], respond: [], hits: 0 };
  const server: Server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => {
      receiver.hits += 1;
      const status = receiver.respond.shift() ?? 200;
      if (status < 300) receiver.bodies.push(JSON.parse(data) as Receiver['bodies'][number]);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hook`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

let seq = 0;
function event(name: string, distinctId: string, timestamp: number, properties: Record<string, unknown> = {}): NormalizedEvent {
  seq += 1;
  return {
    uuid: `0190b000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    event: name,
    distinctId,
    timestamp,
    receivedAt: timestamp,
    properties,
    propertiesJson: JSON.stringify(properties),
    set: undefined,
    setOnce: undefined,
  };
}

/**
 * Adds `count` developers who signed up and created a key at `at`; the first `succeeded` of them then make a
 * successful call, the others hit `invalid_api_key`.
 */
export function addDevelopers(db: OnrampDb, prefix: string, count: number, succeeded: number, at: number) {
  const events: NormalizedEvent[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${i}`;
    events.push(event('signed_up', id, at), event('api_key_created', id, at + 60_000));
    events.push(
      i < succeeded
        ? event('api_call', id, at + 120_000, { status: 201, method: 'POST', endpoint: '/sandbox/v1/messages', duration_ms: 40, key_prefix: 'onr_test_AAAAAAAA' })
        : event('api_call', id, at + 120_000, { status: 401, method: 'POST', endpoint: '/sandbox/v1/messages', duration_ms: 3, error_code: 'invalid_api_key', key_prefix: 'onr_test_AAAAAAAA' }),
    );
  }
  createEventStore(db.$client).writeBatches([events]);
}

/** Gives developers `prefix-from` … `prefix-(to − 1)` a successful call at `at`. */
export function addSuccesses(db: OnrampDb, prefix: string, from: number, to: number, at: number) {
  const events: NormalizedEvent[] = [];
  for (let i = from; i < to; i++) events.push(event('api_call', `${prefix}-${i}`, at, { status: 200, method: 'GET', endpoint: '/sandbox/v1/messages', duration_ms: 20, key_prefix: 'onr_test_AAAAAAAA' }));
  createEventStore(db.$client).writeBatches([events]);
}
