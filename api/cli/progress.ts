import cliProgress from 'cli-progress';
import type { ImportProgress } from '../import/importer.ts';

const PLAIN_INTERVAL_MS = 2000;

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** Rows read per second: commits land every 50k events, so counting only committed ones would make the rate jump. */
function rate(p: ImportProgress): number {
  return p.elapsedMs > 0 ? Math.round((p.rows * 1000) / p.elapsedMs) : 0;
}

/**
 * Import progress for humans: a live bar (events/s, ETA) on a terminal, and a plain line every couple of
 * seconds otherwise (CI logs, pipes), so logs are not flooded with carriage returns.
 */
export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr) {
  let bar: cliProgress.SingleBar | undefined;
  let lastPlain = 0;
  const tty = Boolean(stream.isTTY);

  return {
    update(p: ImportProgress) {
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              stream,
              format: 'import |{bar}| {percentage}% | {rows} rows read, {events} stored | {rate} rows/s | ETA {eta_formatted}',
              hideCursor: true,
              etaBuffer: 50,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(Math.max(1, p.totalBytes), 0, { rows: 0, events: 0, rate: 0 });
        }
        bar.update(p.bytesDone, { rows: p.rows, events: p.imported, rate: rate(p) });
        return;
      }
      if (p.elapsedMs - lastPlain < PLAIN_INTERVAL_MS) return;
      lastPlain = p.elapsedMs;
      const fraction = p.totalBytes > 0 ? p.bytesDone / p.totalBytes : 1;
      const r = rate(p);
      const eta = fraction > 0 && fraction < 1 ? Math.round((p.elapsedMs / fraction - p.elapsedMs) / 1000) : 0;
      stream.write(
        `import: ${(fraction * 100).toFixed(1)}% (${mib(p.bytesDone)} of ${mib(p.totalBytes)}), ${p.rows} rows read, ${p.imported} imported, ` +
          `${p.duplicates} duplicates, ${p.rejected} rejected, ${r} rows/s, ETA ${eta}s\n`,
      );
    },
    stop() {
      bar?.stop();
    },
  };
}
