import { describe, expect, it } from 'vitest';
import { createProgressReporter } from '../../api/cli/progress.ts';

function fakeStream(isTTY: boolean) {
  const lines: string[] = [];
  return { lines, stream: { isTTY, write: (text: string) => lines.push(text) } as unknown as NodeJS.WriteStream };
}

describe('import progress without a terminal', () => {
  it('prints a plain line at most every 2 s with percentage, counts, rate and ETA', () => {
    const { lines, stream } = fakeStream(false);
    const reporter = createProgressReporter(stream);
    const base = { totalBytes: 1000, imported: 0, duplicates: 0, rejected: 0 };
    reporter.update({ ...base, bytesDone: 100, rows: 10, elapsedMs: 500 });
    reporter.update({ ...base, bytesDone: 250, rows: 25_000, imported: 20_000, duplicates: 3, rejected: 2, elapsedMs: 2500 });
    reporter.update({ ...base, bytesDone: 300, rows: 30_000, elapsedMs: 3000 });
    reporter.stop();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe('import: 25.0% (0.0 MiB of 0.0 MiB), 25000 rows read, 20000 imported, 3 duplicates, 2 rejected, 10000 rows/s, ETA 8s\n');
  });
});
