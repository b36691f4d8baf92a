/**
 * Runs the `npm run bench` code path on a few thousand events so the benchmark cannot rot, and checks that the
 * naive baseline and the real funnel agree on this data (one signup per person, so the semantics coincide).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchSize } from '../bench/reports.ts';
import { runScaleBench, scaleOptions } from '../bench/scale.ts';

describe('reports benchmark (smoke)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onramp-bench-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generates, times every report and the naive baseline, and the baseline agrees with the funnel', async () => {
    const lines: string[] = [];
    const result = await benchSize({ events: 4000, persons: 800, runs: 1, dir, log: (l) => lines.push(l) });
    expect(result.events).toBe(4000);
    const names = result.timings.map((t) => t.name.trim());
    expect(names).toEqual(
      expect.arrayContaining(['funnel (default, ordered)', 'ttfsi', 'docs', 'api-health', 'naive self-join funnel', 'funnel strict', 'funnel any order']),
    );
    for (const t of result.timings) expect(t.medianMs).toBeGreaterThanOrEqual(0);
    const funnelCounts = /counts ([\d → ]+)/.exec(result.timings.find((t) => t.name.startsWith('funnel (default'))!.summary)![1]!.trim();
    const naiveCounts = /counts ([\d → ]+)/.exec(result.timings.find((t) => t.name === 'naive self-join funnel')!.summary)![1]!.trim();
    expect(naiveCounts).toBe(funnelCounts);
    expect(Number(funnelCounts.split(' → ')[2])).toBeGreaterThan(0);
    expect(lines.join('\n')).toMatch(/naive ÷ onramp/);
    expect(result.peakRssMb).toBeGreaterThan(0);
  });
});

describe('scale benchmark (smoke)', () => {
  it('runs the phases it is asked for, and names an unknown one', () => {
    expect([...scaleOptions({}).phases]).toEqual(['reports', 'retention', 'load']);
    expect([...scaleOptions({ BENCH_PHASES: 'load' }).phases]).toEqual(['load']);
    expect(() => scaleOptions({ BENCH_PHASES: 'reports,vacuum' })).toThrow(/BENCH_PHASES: vacuum/);
  });

  it('generates, times every report on the server and in DuckDB with the same counts, loads capture, and judges the targets', async () => {
    const lines: string[] = [];
    const verdicts = await runScaleBench(
      scaleOptions({
        BENCH_EVENTS: '6000',
        BENCH_DEVELOPERS: '150',
        BENCH_CHUNK: '1000',
        BENCH_BURST_SECONDS: '0',
        BENCH_SUSTAINED_SECONDS: '1',
        BENCH_SUSTAINED_RATE: '2000',
        BENCH_SENDERS: '2',
      }),
      (l) => lines.push(l),
    );
    const out = lines.join('\n');
    // compareWithDuck throws on a differing count; these lines show both sides were compared.
    expect(out).toMatch(/funnel \(default\) +Onramp [\d → ]+ \| DuckDB [\d → ]+ \(same\)/);
    expect(out).toMatch(/funnel \$pageview +Onramp [\d → ]+ \| DuckDB [\d → ]+ \(same\)/);
    expect(out).toMatch(/ttfsi +Onramp completed \d+, p50 [\d.]+ s \| DuckDB completed \d+, p50 [\d.]+ s \(same\)/);
    // The load at a set rate runs the same code as the full-speed burst, without a backlog of tens of thousands.
    expect(out).toMatch(/sustained load: [\d,]+ events\/s acknowledged \(p99 \d+ ms, 0 failed\)/);
    const targets = verdicts.map((v) => v.target);
    expect(targets).toEqual(
      expect.arrayContaining(['funnel (default) ≤ 100 ms', 'funnel (default) ≥ 10× faster than DuckDB', 'report after sustained load ≤ 2 s']),
    );
  }, 240_000);
});
