/**
 * Pure comparison of a headline figure with the previous period of the same length, shared by every report's KPI
 * cards: the previous value, the change with its direction, whether the change is good news, and whether the
 * report's test found it significant.
 */
import { formatCount, formatDuration, formatPercent, SIGNIFICANCE_LEVEL } from './format.ts';

export type ChangeDirection = 'up' | 'down' | 'flat';
/** good / bad colour the change; neutral when a move either way is not news (or when it is not significant). */
export type ChangeTone = 'good' | 'bad' | 'neutral';

export interface KpiChange {
  /** The previous period's value, formatted like the card's value. */
  previous: string;
  /** `+12.5%`, `−3.1 pts`, `+2 h`; `no change`; `—` without a previous value. */
  delta: string;
  direction: ChangeDirection;
  tone: ChangeTone;
  /** True only when the report tested this change and the test says it could be chance. */
  notSignificant: boolean;
}

/** Which way is good news for a figure; `none` for figures such as "in progress" where neither way is. */
export type Better = 'higher' | 'lower' | 'none';

function toneOf(direction: ChangeDirection, better: Better, notSignificant: boolean): ChangeTone {
  if (direction === 'flat' || better === 'none' || notSignificant) return 'neutral';
  return (direction === 'up') === (better === 'higher') ? 'good' : 'bad';
}

const directionOf = (diff: number): ChangeDirection => (diff > 0 ? 'up' : diff < 0 ? 'down' : 'flat');
const signed = (text: string, diff: number) => (diff > 0 ? `+${text}` : diff < 0 ? `−${text}` : text);

function missing(previous: string): KpiChange {
  return { previous, delta: '—', direction: 'flat', tone: 'neutral', notSignificant: false };
}

/** A count against the previous period: relative change (`+12%`), or the absolute one when the previous was 0. */
export function compareCount(current: number, previous: number | null | undefined, better: Better): KpiChange {
  if (previous === null || previous === undefined) return missing('—');
  const diff = current - previous;
  const direction = directionOf(diff);
  const delta =
    diff === 0 ? 'no change' : previous === 0 ? signed(formatCount(Math.abs(diff)), diff) : signed(`${Math.abs((diff / previous) * 100).toFixed(0)}%`, diff);
  return { previous: formatCount(previous), delta, direction, tone: toneOf(direction, better, false), notSignificant: false };
}

/**
 * A rate (0..1) against the previous period: the change in percentage points. `p` is the report's test of the
 * change; undefined when the report has none for this figure.
 */
export function compareRate(current: number | null, previous: number | null | undefined, better: Better, p?: number | null): KpiChange {
  if (previous === null || previous === undefined || current === null) return missing(formatPercent(previous ?? null));
  const diff = (current - previous) * 100;
  const rounded = Math.round(diff * 10) / 10;
  const direction = directionOf(rounded);
  const notSignificant = typeof p === 'number' && p >= SIGNIFICANCE_LEVEL;
  const delta = rounded === 0 ? 'no change' : signed(`${Math.abs(rounded).toFixed(1)} pts`, rounded);
  return { previous: formatPercent(previous), delta, direction, tone: toneOf(direction, better, notSignificant), notSignificant };
}

/** A duration in seconds against the previous period: the absolute change, in the unit the value reads best in. */
export function compareDuration(current: number | null, previous: number | null | undefined, better: Better): KpiChange {
  if (previous === null || previous === undefined || current === null) return missing(formatDuration(previous ?? null));
  const diff = current - previous;
  const same = formatDuration(current) === formatDuration(previous);
  const direction = same ? 'flat' : directionOf(diff);
  return {
    previous: formatDuration(previous),
    delta: same ? 'no change' : signed(formatDuration(Math.abs(diff)), diff),
    direction,
    tone: toneOf(direction, better, false),
    notSignificant: false,
  };
}
