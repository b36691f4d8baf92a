import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const SAMPLE_BYTES = 1 << 20;
const SAMPLES = 16;

/**
 * Identifies a file's content for resuming: its size plus its first and last MiB and 16 evenly spaced 64 KiB
 * samples. Hashing all of a 1 GB file would read it twice; a sample is enough to tell "the same export" from
 * "another file", and uuid deduplication keeps a re-import correct even if an edit slips past the sample.
 */
export async function fileFingerprint(path: string): Promise<{ hash: string; size: number }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const hash = createHash('sha256').update(`size:${size}\n`);
    const read = async (position: number, length: number) => {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - position)));
      if (buffer.length > 0) await handle.read(buffer, 0, buffer.length, position);
      hash.update(buffer);
    };
    if (size <= 4 * SAMPLE_BYTES) {
      await read(0, size);
    } else {
      await read(0, SAMPLE_BYTES);
      for (let i = 1; i <= SAMPLES; i++) await read(Math.floor((size * i) / (SAMPLES + 2)), 64 * 1024);
      await read(size - SAMPLE_BYTES, SAMPLE_BYTES);
    }
    return { hash: hash.digest('hex'), size };
  } finally {
    await handle.close();
  }
}
