/** Number and time formatting shared by the reports tables and charts (pure, locale fixed for stable output). */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `0.4567` → `45.7%`; null or non-finite → `—`. */
export function formatPercent(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** Whole numbers with thousands separators; null → `—`. */
export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return integer.format(value);
}

/** A number with up to `digits` decimals; null → `—`. */
export function formatDecimal(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toFixed(digits);
}

/** Milliseconds as `87 ms` or `1.24 s`. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * Seconds as the largest unit that keeps the number readable: `42 s`, `12 min`, `3.5 h`, `2.1 d`.
 * Reports mix seconds-long steps with week-long integrations, so a fixed unit would hide one or the other.
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, seconds);
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${trim(s / 3600)} h`;
  return `${trim(s / 86_400)} d`;
}

function trim(value: number): string {
  return value >= 10 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '');
}

/** ISO time → `2026-11-23 14:05 UTC` (reports are in UTC so shared links read the same everywhere). */
export function formatUtc(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** ISO time → `2026-11-23 14:05:09 UTC`: live events need the seconds to tell a burst apart. */
export function formatUtcSeconds(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The significance level the reports test at (two-sided). */
export const SIGNIFICANCE_LEVEL = 0.05;

/** A p-value as it would be said aloud: `0.0004` → `p < 0.001`, `0.034` → `p = 0.03`. */
export function formatP(p: number): string {
  if (p < 0.001) return 'p < 0.001';
  return `p = ${p < 0.01 ? p.toFixed(3) : p.toFixed(2)}`;
}

/**
 * A p-value in plain words first, the number in brackets: "very unlikely to be chance (p < 0.001)". Readers who
 * are not statisticians need the meaning; the number stays for those who check.
 */
export function plainP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return 'too few developers to test';
  if (p < 0.01) return `very unlikely to be chance (${formatP(p)})`;
  if (p < SIGNIFICANCE_LEVEL) return `unlikely to be chance (${formatP(p)})`;
  return `not significant: could be chance (${formatP(p)})`;
}
