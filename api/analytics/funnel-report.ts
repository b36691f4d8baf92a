/**
 * `GET /api/v1/reports/funnel`: the funnel over [from, to], the same funnel over the previous period (for the
 * significance test), the breakdown, and the flags with their evidence.
 */
import type { Database } from 'better-sqlite3';
import { helpfulRates } from './docs-query.ts';
import { detectFlags, type DetectedFlag, type Flag, type FlagEvidence } from './flags.ts';
import { stalledAt, stalledErrors, stalledLastPages } from './flags-query.ts';
import { shapeBreakdown, shapeSteps, type FunnelStep } from './funnel.ts';
import { runFunnelPeriods, type FunnelRun } from './funnel-query.ts';
import type { FunnelParams } from './params.ts';

export interface FunnelReport {
  from: string;
  to: string;
  window: string;
  order: FunnelParams['order'];
  steps: FunnelStep[];
  /** Empty unless `breakdown` was asked for. */
  breakdown: Array<{ value: string | null; steps: FunnelStep[] }>;
  flags: Flag[];
}

/** The previous period of [from, to]: [from − (to − from), from), i.e. ending 1 ms before `from`. */
export function previousPeriod(from: number, to: number): { from: number; to: number } {
  return { from: from - (to - from), to: from - 1 };
}

/** A funnel's steps and its flags before their evidence is attached (current period against the previous one). */
export function detectFunnelFlags(p: FunnelParams, current: FunnelRun, previous: FunnelRun): { steps: FunnelStep[]; detected: DetectedFlag[] } {
  const steps = shapeSteps(p.steps, current.total);
  return { steps, detected: detectFlags(steps, shapeSteps(p.steps, previous.total), p.minConversion) };
}

/** Evidence of the flags of one step, from its stalled persons' errors, last pages and those pages' helpful rates. */
export type StepEvidence = Pick<FlagEvidence, 'topErrors' | 'lastPages'>;

/** Joins each stalled person's last page count with the page's helpful rate. */
export function stepEvidence(
  topErrors: StepEvidence['topErrors'],
  pages: Array<{ path: string; count: number }>,
  rates: Map<string, number | null>,
): StepEvidence {
  return { topErrors, lastPages: pages.map((x) => ({ ...x, helpfulRate: rates.get(x.path) ?? null })) };
}

/** Builds the response from the current run, the detected flags and the evidence of every flagged step. */
export function assembleFunnelReport(
  p: FunnelParams,
  current: FunnelRun,
  steps: FunnelStep[],
  detected: DetectedFlag[],
  evidenceByStep: Map<number, StepEvidence>,
): FunnelReport {
  const flags: Flag[] = detected.map(({ previousRate, currentRate, p: pValue, ...flag }) => ({
    ...flag,
    evidence: { previousRate, currentRate, p: pValue, ...evidenceByStep.get(flag.step)! },
  }));

  return {
    from: new Date(p.from).toISOString(),
    to: new Date(p.to).toISOString(),
    window: p.window,
    order: p.order,
    steps,
    breakdown: current.byValue ? shapeBreakdown(p.steps, current.byValue) : [],
    flags,
  };
}

/** `GET /api/v1/reports/funnel` on SQLite (api/analytics/pg/reports.ts has the PostgreSQL twin). */
export function funnelReport(sqlite: Database, p: FunnelParams): FunnelReport {
  const base = { steps: p.steps, windowMs: p.windowMs, order: p.order };
  const [current, previous] = runFunnelPeriods(sqlite, { ...base, from: p.from, to: p.to, breakdown: p.breakdown }, [previousPeriod(p.from, p.to)]) as [FunnelRun, FunnelRun];
  const { steps, detected } = detectFunnelFlags(p, current, previous);

  const evidenceByStep = new Map<number, StepEvidence>();
  for (const k of new Set(detected.map((f) => f.step))) {
    const stalled = stalledAt(current.stalls, k);
    const pages = stalledLastPages(sqlite, p, stalled);
    const rates = helpfulRates(sqlite, p, pages.map((x) => x.path));
    evidenceByStep.set(k, stepEvidence(stalledErrors(sqlite, p, stalled), pages, rates));
  }
  return assembleFunnelReport(p, current, steps, detected, evidenceByStep);
}
