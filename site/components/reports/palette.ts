/**
 * Chart colours. Each passes 3:1 against white (WCAG 1.4.11 non-text contrast) and most pass 4.5:1, so they
 * also work as text colour in legends. Series colours differ in lightness too, not only in hue.
 */
export const COLORS = {
  reached: '#1d4ed8',
  inProgress: '#a16207',
  dropped: '#b91c1c',
  neutral: '#475569',
  grid: '#e2e8f0',
  axis: '#334155',
  median: '#7c2d12',
} as const;

export const SERIES = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0e7490'] as const;

/** Colour for the n-th breakdown series. */
export function seriesColor(index: number): string {
  return SERIES[index % SERIES.length]!;
}

/** Shared axis/tick styling for recharts. */
export const AXIS_TICK = { fill: COLORS.axis, fontSize: 12 } as const;
