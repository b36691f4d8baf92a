/**
 * `GET /api/v1/reports/funnel`: the funnel over [from, to], the same funnel over the previous period (for the
 * significance test), the breakdown, and the flags with their evidence.
 */
import type { SqlDatabase } from '../storage/sql/interface.ts';
import { capText, type ErrorCount, type Flag, type FlagEvidence, type FunnelPrevious, type FunnelReport, type FunnelStep, TEXT_CAPS } from './contract.ts';
import { helpfulRates } from './docs-query.ts';
import type { DocsVoteSource } from './docs-votes.ts';
import { detectFlags } from './flags.ts';
import { type FlagEvidenceSource, rawFlagEvidence, stalledAt } from './flags-query.ts';
import { shapeBreakdown, shapeSteps } from './funnel.ts';
import type { FunnelParams } from './funnel-params.ts';
import { type FunnelPersonStream, rawFunnelStream } from './funnel-query.ts';
import { type FunnelRun, runFunnelPeriods } from './funnel-run.ts';
import { proportionChangeP } from './stats.ts';

export type { FunnelReport };

/** The previous period of [from, to]: [from − (to − from), from), i.e. ending 1 ms before `from`. */
export function previousPeriod(from: number, to: number): { from: number; to: number } {
  return { from: from - (to - from), to: from - 1 };
}

/** A funnel's steps and its flags before their evidence is attached (current period against the previous one). */
function detectFunnelFlags(p: FunnelParams, current: FunnelRun, previous: FunnelRun) {
  const steps = shapeSteps(p.steps, current.total, p.stepNames);
  const previousSteps = shapeSteps(p.steps, previous.total, p.stepNames);
  return { steps, previousSteps, detected: detectFlags(steps, previousSteps, p.minConversion) };
}

/** The previous period's steps, and the test of the overall conversion (last step / first step) against it. */
function previousOf(bounds: { from: number; to: number }, steps: FunnelStep[], previousSteps: FunnelStep[]): FunnelPrevious {
  const last = steps.length - 1;
  return {
    from: new Date(bounds.from).toISOString(),
    to: new Date(bounds.to).toISOString(),
    steps: previousSteps,
    overallConversionP: proportionChangeP(previousSteps[last]?.count ?? 0, previousSteps[0]?.count ?? 0, steps[last]?.count ?? 0, steps[0]?.count ?? 0),
  };
}

/** Evidence of the flags of one step, from its stalled persons' errors, last pages and those pages' helpful rates. */
type StepEvidence = Pick<FlagEvidence, 'topErrors' | 'lastPages'>;

/** Joins each stalled person's last page count with the page's helpful rate; cuts codes and paths to TEXT_CAPS. */
function stepEvidence(topErrors: ErrorCount[], pages: Array<{ path: string; count: number }>, rates: Map<string, number | null>): StepEvidence {
  return {
    topErrors: topErrors.map((e) => ({ code: capText(e.code, TEXT_CAPS.errorCode), count: e.count, persons: e.persons })),
    lastPages: pages.map((x) => ({ path: capText(x.path, TEXT_CAPS.path), count: x.count, helpfulRate: rates.get(x.path) ?? null })),
  };
}

/** Reads the evidence of one flagged step: the errors and last pages of the persons who stalled before it. */
async function evidenceOf(
  database: SqlDatabase,
  source: FlagEvidenceSource,
  p: FunnelParams,
  current: FunnelRun,
  step: number,
  votes: DocsVoteSource | undefined,
): Promise<[number, StepEvidence]> {
  const stalled = stalledAt(current.stalls, step);
  const [pages, errors] = await Promise.all([source.lastPages(p, stalled), source.errors(p, stalled)]);
  const rates = await helpfulRates(
    database,
    p,
    pages.map((x) => x.path),
    votes,
  );
  return [step, stepEvidence(errors, pages, rates)];
}

/**
 * `GET /api/v1/reports/funnel` on either dialect; `stream` gives each person's events, `evidence` the flags' evidence
 * and `votes` the latest doc votes behind its pages' helpful rates (default: all from raw events).
 */
export async function funnelReport(
  database: SqlDatabase,
  p: FunnelParams,
  stream: FunnelPersonStream = rawFunnelStream(database),
  evidence: FlagEvidenceSource = rawFlagEvidence(database),
  votes?: DocsVoteSource,
): Promise<FunnelReport> {
  const bounds = previousPeriod(p.from, p.to);
  const [current, previous] = (await runFunnelPeriods(database, p, [bounds], stream)) as [FunnelRun, FunnelRun];
  const { steps, previousSteps, detected } = detectFunnelFlags(p, current, previous);
  const evidenceByStep = new Map(await Promise.all([...new Set(detected.map((f) => f.step))].map((k) => evidenceOf(database, evidence, p, current, k, votes))));
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
    breakdown: current.byValue ? shapeBreakdown(p.steps, current.byValue, p.stepNames, p.breakdownLimit) : [],
    flags,
    previous: previousOf(bounds, steps, previousSteps),
  };
}
