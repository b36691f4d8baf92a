/**
 * Text order of the SQL `binaryCollation` (SQLite's BINARY, PostgreSQL's "C" on UTF-8), for rows ranked in memory
 * that must come out as the SQL ranking them would: UTF-8 byte order, which is code point order (JavaScript's `<`
 * compares UTF-16 units, which differs once a character outside the BMP meets one above U+E000).
 */

/** Negative, zero or positive as `a` sorts before, with or after `b` byte-wise in UTF-8. */
export function compareBytewise(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return a.length - i - (b.length - j);
}
