/**
 * Worker thread of `importFile({ parallel: true })`: reads and validates the file while the main thread writes to
 * SQLite, so parsing and storing use both cores. Results go back in file order as flat arrays (cheap to clone), at
 * most two batches ahead of the main thread, so memory stays bounded however large the file is.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { mergeTarget } from '../ingest/identity.ts';
import { csvRows, jsonLines } from './sources.ts';
import { type RowResult, validateRows } from './validate-rows.ts';

export interface ParseWorkerData {
  path: string;
  format: 'jsonl' | 'csv';
  columns: string[] | undefined;
  projectToken: string;
}

/** Where to read from (a byte offset at a row boundary, and the line before it): sent once the worker is ready. */
export interface WorkerStart {
  start: number;
  lineBefore: number;
}

/**
 * [line, end, 0, uuid, event, distinctId, timestamp, receivedAt, propertiesJson, setJson, setOnceJson, linkOtherId, linkIdentify]
 * | [line, end, 1, reason] | [line, end, 2]. `linkOtherId` and `linkIdentify` (1 or 0) are the event's
 * {@link mergeTarget}, worked out here so the writing thread need not parse the properties; null when it has none.
 */
export type PackedResult = Array<string | number | null>;

export function pack(results: RowResult[]): PackedResult[] {
  return results.map((r) => {
    if (r.event) {
      const e = r.event;
      const link = mergeTarget(e);
      return [
        r.line,
        r.end,
        0,
        e.uuid,
        e.event,
        e.distinctId,
        e.timestamp,
        e.receivedAt,
        e.propertiesJson,
        e.set ? JSON.stringify(e.set) : null,
        e.setOnce ? JSON.stringify(e.setOnce) : null,
        link ? link.otherId : null,
        link?.identify ? 1 : 0,
      ];
    }
    return r.error !== undefined ? [r.line, r.end, 1, r.error] : [r.line, r.end, 2];
  });
}

if (parentPort && workerData) {
  const port = parentPort;
  const data = workerData as ParseWorkerData;
  let credits = 2;
  let from: WorkerStart | undefined;
  let wake: (() => void) | undefined;
  port.on('message', (message: 'credit' | WorkerStart) => {
    if (message === 'credit') credits += 1;
    else from = message;
    wake?.();
    wake = undefined;
  });
  // Loading this module is most of the worker's start-up; the main thread reads the file itself until now.
  port.postMessage('ready');
  while (!from) await new Promise<void>((resolve) => (wake = resolve));
  const { start, lineBefore } = from;
  const source = data.format === 'csv' ? csvRows(data.path, start, data.columns!, start === 0) : jsonLines(data.path, start, lineBefore);
  for await (const batch of source) {
    const packed = pack(validateRows(batch, data.projectToken));
    while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
    credits -= 1;
    port.postMessage(packed);
  }
  port.postMessage(null);
}
