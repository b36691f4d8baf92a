/** Pure shaping of availability and its SLO error budget for the API health cards. */
import type { AvailabilitySummary } from '../../../api/analytics/contract.ts';
import { formatPercent } from './format.ts';

/**
 * Availability as a percentage with enough decimals to tell the nines apart (99.95% is not 100.0%), and `—`
 * without calls. Never rounds up to 100% while any call failed.
 */
export function formatAvailability(availability: number | null): string {
  if (availability === null) return '—';
  if (availability === 1) return '100%';
  // Two decimals fewer than the nines' digits: 99.9% for three nines, 99.95% for 3.3, at most four decimals.
  const digits = Math.min(4, Math.max(1, Math.ceil(-Math.log10(1 - availability) - 1e-9) - 2));
  const scaled = Math.floor(availability * 10 ** (digits + 2) + 1e-6);
  return `${(scaled / 10 ** digits).toFixed(digits)}%`;
}

/** `3.3 nines`; `6+ nines` at the cap (no 5xx at all); `—` without calls. */
export function formatNines(nines: number | null): string {
  if (nines === null) return '—';
  return nines >= 6 ? '6+ nines' : `${nines.toFixed(1)} nines`;
}

/** `99.9%` target, and the budget left as a percent of the budget (negative once overspent). */
export function budgetText(slo: AvailabilitySummary['slo']): { target: string; remaining: string; overspent: boolean } {
  const remaining = slo.errorBudgetRemaining;
  return {
    target: formatAvailability(slo.target),
    remaining: formatPercent(remaining, 0),
    overspent: remaining !== null && remaining < 0,
  };
}
