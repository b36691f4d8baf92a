/**
 * Runs `work` with `console.error` collected instead of printed (for code that must log a failure it survives),
 * restoring it afterwards even when `work` throws; returns the argument lists it was called with.
 */
export async function consoleErrorsDuring(work: () => unknown): Promise<unknown[][]> {
  const errors: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void errors.push(args);
  try {
    await work();
  } finally {
    console.error = original;
  }
  return errors;
}
