/**
 * Where the importer's row results come from, in file order: read and validated on this thread, or in the parse worker
 * (api/import/parse-worker.ts) while this thread writes.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MergeTarget } from '../ingest/identity.ts';
import type { StoreEvent } from '../ingest/store.ts';
import type { PackedResult, ParseWorkerData, WorkerStart } from './parse-worker.ts';
import { csvRows, jsonLines } from './sources.ts';
import { type RowResult, validateRows } from './validate-rows.ts';

/** Reads and validates on this thread. */
export async function* resultsInThread(d: ParseWorkerData & WorkerStart): AsyncGenerator<RowResult[]> {
  const source = d.format === 'csv' ? csvRows(d.path, d.start, d.columns!, d.start === 0) : jsonLines(d.path, d.start, d.lineBefore);
  for await (const batch of source) yield validateRows(batch, d.projectToken);
}

/**
 * Bytes of a JSON-lines file this thread reads at most before handing the rest to the worker even if it has not
 * signalled that it is ready (it then waits for it).
 */
const MAX_HEAD_BYTES = 32 << 20;

/**
 * Reads and validates in a worker thread, up to two batches ahead; stopping early terminates the worker. Starting the
 * worker (loading its modules) takes about half a second, which the writing thread would spend waiting for its first
 * batch: so for JSON lines this thread reads and validates the file's first batches itself until the worker is
 * ready (or `maxHeadBytes` are read), then hands it the rest from the end of its last batch, exactly as a resumed
 * import starts after its checkpoint (same rows, line numbers and offsets). The hand-off comes before that last batch
 * is validated and written, so the worker reads meanwhile. CSV line numbers count from where the parser starts, so
 * a CSV file goes to the worker whole.
 */
export async function* resultsInParallel(d: ParseWorkerData & WorkerStart, maxHeadBytes = MAX_HEAD_BYTES): AsyncGenerator<RowResult[]> {
  const worker = startWorker(d);
  try {
    if (d.format === 'jsonl') {
      const head = jsonLines(d.path, d.start, d.lineBefore);
      try {
        for await (const rows of head) {
          const last = rows[rows.length - 1]!;
          const handOff = worker.ready() || last.end - d.start >= maxHeadBytes;
          if (handOff) worker.start({ start: last.end, lineBefore: last.line });
          yield validateRows(rows, d.projectToken);
          if (handOff) break;
        }
      } finally {
        await head.return(undefined);
      }
      // This thread read the whole file: the worker never started reading.
      if (!worker.started()) return;
    } else {
      worker.start({ start: d.start, lineBefore: d.lineBefore });
    }
    yield* worker.results();
  } finally {
    await worker.stop();
  }
}

/**
 * An event rebuilt from a worker's flat result. `properties` is parsed only if read: the store has the serialized form
 * for the insert, and the worker already worked out the one thing it would read them for (`linkTarget`).
 */
class ImportedEvent implements StoreEvent {
  private parsed: Record<string, unknown> | undefined;
  constructor(
    public uuid: string,
    public event: string,
    public distinctId: string,
    public timestamp: number,
    public receivedAt: number,
    public propertiesJson: string,
    public set: Record<string, unknown> | undefined,
    public setOnce: Record<string, unknown> | undefined,
    public linkTarget: MergeTarget | null,
  ) {}
  get properties(): Record<string, unknown> {
    return (this.parsed ??= JSON.parse(this.propertiesJson) as Record<string, unknown>);
  }
}

function unpack(packed: PackedResult[]): RowResult[] {
  return packed.map((p) => {
    const [line, end, kind] = p as [number, number, number];
    if (kind === 1) return { line, end, error: p[3] as string };
    if (kind === 2) return { line, end };
    const [, , , uuid, event, distinctId, timestamp, receivedAt, json, set, setOnce, linkOtherId, linkIdentify] = p as [
      number,
      number,
      number,
      string,
      string,
      string,
      number,
      number,
      string,
      string | null,
      string | null,
      string | null,
      number,
    ];
    const link = linkOtherId === null ? null : { otherId: linkOtherId, identify: linkIdentify === 1 };
    return { line, end, event: new ImportedEvent(uuid, event, distinctId, timestamp, receivedAt, json, parseObject(set), parseObject(setOnce), link) };
  });
}

function parseObject(text: string | null): Record<string, unknown> | undefined {
  return text === null ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

/**
 * The worker is TypeScript like the rest of the code. Node 20 applies `--import tsx` hooks too late for a worker's
 * entry file, so a small script registers tsx's loader first and then imports it; this works whether the parent
 * runs under tsx, vitest or plain node.
 */
function workerBootstrap(): string {
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const entry = new URL('./parse-worker.ts', import.meta.url).href;
  return `(async () => { const { register } = await import(${JSON.stringify(tsxApi)}); register(); await import(${JSON.stringify(entry)}); })().catch((err) => { console.error(err); process.exit(1); });`;
}

/** Starts the worker thread at once; it reads from where `start` says, once told. */
function startWorker(d: ParseWorkerData) {
  const data: ParseWorkerData = { path: d.path, format: d.format, columns: d.columns, projectToken: d.projectToken };
  const worker = new Worker(workerBootstrap(), { eval: true, workerData: data });
  const inbox: Array<PackedResult[] | null> = [];
  let ready = false;
  let started = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (message: PackedResult[] | null | 'ready') => {
    if (message === 'ready') ready = true;
    else inbox.push(message);
    notify();
  });
  worker.on('error', (err) => {
    failure = err;
    notify();
  });
  worker.on('exit', (code) => {
    if (code !== 0 && !failure) failure = new Error(`import worker exited with code ${code}`);
    notify();
  });
  return {
    /** The worker has loaded its modules and waits for `start`. */
    ready: () => ready,
    started: () => started,
    start(from: WorkerStart) {
      started = true;
      worker.postMessage(from);
    },
    async *results(): AsyncGenerator<RowResult[]> {
      for (;;) {
        while (inbox.length === 0 && !failure) await new Promise<void>((resolve) => (wake = resolve));
        if (inbox.length === 0) throw failure!;
        const message = inbox.shift()!;
        if (message === null) return;
        worker.postMessage('credit');
        yield unpack(message);
      }
    },
    stop: () => worker.terminate(),
  };
}
