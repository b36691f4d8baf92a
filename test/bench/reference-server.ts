/**
 * The reference design `bench:ingest` also measures: a minimal durable capture server ("group commit: flush on
 * setImmediate, reply after commit"), the baseline the throughput target is read against: node:http, JSON.parse, one
 * prepared INSERT per event into a table with UNIQUE(uuid) and one (event, distinct_id, timestamp) index, all requests
 * of an event-loop turn in one transaction, each reply sent after that commit. WAL with synchronous=NORMAL, like
 * Onramp. It validates nothing, logs nothing and merges no identities: it shows what durable storage before the reply
 * costs on this machine, measured in the same run as Onramp and the bare endpoint.
 */

import { createServer } from 'node:http';
import Database from 'better-sqlite3';

const database = new Database(process.env.REFERENCE_DB ?? ':memory:');
database.pragma('journal_mode = WAL');
database.pragma('synchronous = NORMAL');
database.exec(`CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, event TEXT NOT NULL, distinct_id TEXT NOT NULL,
  timestamp INTEGER NOT NULL, properties TEXT NOT NULL)`);
database.exec('CREATE INDEX IF NOT EXISTS events_event_distinct_id_timestamp ON events (event, distinct_id, timestamp)');
const insert = database.prepare('INSERT INTO events (uuid, event, distinct_id, timestamp, properties) VALUES (?, ?, ?, ?, ?) ON CONFLICT (uuid) DO NOTHING');

interface RawEvent {
  uuid: string;
  event: string;
  timestamp: string;
  properties: { distinct_id: string };
}
interface Waiting {
  event: RawEvent;
  reply: () => void;
}

let queue: Waiting[] = [];
let scheduled = false;
const commit = database.transaction((batch: Waiting[]) => {
  for (const { event } of batch)
    insert.run(event.uuid, event.event, event.properties.distinct_id, Date.parse(event.timestamp), JSON.stringify(event.properties));
});

function flush() {
  scheduled = false;
  const batch = queue;
  queue = [];
  commit(batch);
  for (const waiting of batch) waiting.reply();
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RawEvent;
    queue.push({
      event,
      reply: () => {
        res.setHeader('Content-Type', 'application/json');
        res.end('{"status":1}');
      },
    });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(`reference listening on http://127.0.0.1:${address.port}`);
});
