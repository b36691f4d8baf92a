/**
 * The parallel reader (api/import/results.ts) reads a JSON-lines file's first batches on the calling thread and hands
 * the rest to the parse worker: wherever the hand-off falls, the rows must be exactly those of one reader on one
 * thread (line numbers, offsets, rejections and events).
 */
import { describe, expect, it } from 'vitest';
import { resultsInParallel, resultsInThread } from '../../api/import/results.ts';
import type { RowResult } from '../../api/import/validate-rows.ts';
import { mergeTarget } from '../../api/ingest/identity.ts';
import { jsonl, TOKEN, tempFile } from './support.ts';

/** About 9 MiB: three of the readers' 4 MiB chunks, so there are several places to hand off. */
function lines(n: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 997 === 3) out.push('{"event": 5}');
    else if (i % 1499 === 7) out.push('');
    else
      out.push({
        ...(i % 11 === 0 ? {} : { uuid: `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}` }),
        event: i % 5 === 1 ? '$identify' : 'page',
        distinct_id: `user-${i % 300}`,
        timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
        properties: { $anon_distinct_id: `anon-${i}`, pad: 'x'.repeat(250), é: 'ü' },
        ...(i % 7 === 0 ? { $set: { n: i } } : {}),
      });
  }
  return out;
}

/** What a row result says, without the receive time (each batch is stamped when it is validated). */
function comparable(results: RowResult[]) {
  return results.map(({ line, end, error, event }) => ({
    line,
    end,
    error,
    event: event && {
      uuid: event.uuid,
      event: event.event,
      distinctId: event.distinctId,
      timestamp: event.timestamp,
      propertiesJson: event.propertiesJson,
      set: event.set,
      setOnce: event.setOnce,
      link: mergeTarget(event) ?? null,
    },
  }));
}

async function collect(results: AsyncGenerator<RowResult[]>) {
  const all: RowResult[] = [];
  let batches = 0;
  for await (const batch of results) {
    all.push(...batch);
    batches += 1;
  }
  return { rows: comparable(all), batches };
}

describe('parallel import reader', () => {
  const path = tempFile('handoff.jsonl', jsonl(lines(30_000)));
  const from = { path, format: 'jsonl' as const, columns: undefined, projectToken: TOKEN, start: 0, lineBefore: 0 };

  it('gives the rows of one reader wherever the hand-off to the worker falls, also when resuming mid-file', async () => {
    const expected = await collect(resultsInThread(from));
    expect(expected.batches).toBeGreaterThanOrEqual(3);
    expect(expected.rows.some((r) => r.error)).toBe(true);
    // 0: hand off after the first batch; 5 MiB: after the second; no limit: whenever the worker is ready.
    for (const maxHeadBytes of [0, 5 << 20, Number.POSITIVE_INFINITY]) {
      expect((await collect(resultsInParallel(from, maxHeadBytes))).rows).toEqual(expected.rows);
    }
    const middle = expected.rows[12_345]!;
    const resumed = { ...from, start: middle.end, lineBefore: middle.line };
    expect((await collect(resultsInParallel(resumed, 0))).rows).toEqual((await collect(resultsInThread(resumed))).rows);
  });

  it('stops the worker when the reader is left early', async () => {
    const results = resultsInParallel(from, 0);
    const first = await results.next();
    expect(first.done).toBe(false);
    await results.return(undefined);
    expect((await results.next()).done).toBe(true);
  });
});
