/**
 * Pure shaping of the doc satisfaction report from the per-page aggregates of docs-query.ts.
 */
import { capText, type DocPage, type DocsReport, TEXT_CAPS } from './contract.ts';
import type { DocsData } from './docs-query.ts';
import { percentileSorted, rate, twoProportionZTest, wilsonLower } from './stats.ts';

/** Votes a page needs before a low helpful rate flags it. */
export const FLAG_MIN_VOTES = 5;
/** Helpful rate below which a page with enough votes is flagged. */
export const FLAG_MAX_HELPFUL_RATE = 0.5;
/** Readers a page needs (and it must also be in the top quarter of pages by readers) to count as high traffic. */
export const FLAG_MIN_READERS = 20;

export type { DocPage };

/** Counts per reason, reasons cut to TEXT_CAPS.label (reasons that differ only past the cut are counted together). */
function reasonCounts(rows: DocsData['reasons']): Record<string, number> {
  const counts = new Map<string, number>();
  for (const r of rows) {
    const reason = capText(r.reason, TEXT_CAPS.label);
    counts.set(reason, (counts.get(reason) ?? 0) + r.n);
  }
  return Object.fromEntries(counts);
}

/**
 * One row per path seen in a `$pageview` or a vote. Paths, reasons and comments are cut to TEXT_CAPS. Sorted worst first: ascending `wilsonLower`, pages without
 * votes last; ties by more views first, then path.
 *
 * `flagged` when either
 * - low satisfaction: at least FLAG_MIN_VOTES votes and helpfulRate < FLAG_MAX_HELPFUL_RATE; or
 * - high traffic, low reader conversion: readers ≥ max(FLAG_MIN_READERS, 75th percentile of readers across pages)
 *   and readerConversion significantly below nonReaderConversion (two-proportion z-test, p < 0.05).
 */
export function shapeDocs(data: DocsData): Pick<DocsReport, 'pages'> {
  const paths = new Set<string>([...data.views.map((v) => v.path), ...data.votes.map((v) => v.path)]);
  const views = new Map(data.views.map((v) => [v.path, v]));
  const votes = new Map(data.votes.map((v) => [v.path, v]));
  const readerCounts = Float64Array.from(data.views.map((v) => v.readers)).sort();
  const highTraffic = Math.max(FLAG_MIN_READERS, percentileSorted(readerCounts, 0.75) ?? 0);

  const pages = [...paths].map((path): DocPage => {
    const v = views.get(path);
    const vote = votes.get(path);
    const helpful = vote?.helpful ?? 0;
    const notHelpful = vote?.notHelpful ?? 0;
    const total = helpful + notHelpful;
    const readers = v?.readers ?? 0;
    const nonReaders = data.audience.persons - readers;
    const readerConversion = rate(v?.readersConverted ?? 0, readers);
    const nonReaderConversion = rate(data.audience.converted - (v?.readersConvertedAny ?? 0), nonReaders);
    const helpfulRate = rate(helpful, total);
    const lowSatisfaction = total >= FLAG_MIN_VOTES && helpfulRate !== null && helpfulRate < FLAG_MAX_HELPFUL_RATE;
    const readersConverted = v?.readersConverted ?? 0;
    const nonReadersConverted = data.audience.converted - (v?.readersConvertedAny ?? 0);
    const test = twoProportionZTest(nonReadersConverted, nonReaders, readersConverted, readers);
    const lowConversion = readers >= highTraffic && test !== null && test.z < 0 && test.p < 0.05;
    return {
      path: capText(path, TEXT_CAPS.path),
      title: v?.title ? capText(v.title, TEXT_CAPS.label) : null,
      views: v?.views ?? 0,
      readers,
      helpful,
      notHelpful,
      helpfulRate,
      wilsonLower: wilsonLower(helpful, total),
      reasons: reasonCounts(data.reasons.filter((r) => r.path === path)),
      comments: data.comments
        .filter((c) => c.path === path)
        .map((c) => ({
          text: capText(c.text, TEXT_CAPS.comment),
          timestamp: new Date(c.timestamp).toISOString(),
          helpful: c.helpful === null ? null : Number(c.helpful) === 1,
        })),
      readerConversion,
      nonReaderConversion,
      flagged: lowSatisfaction || lowConversion,
    };
  });

  pages.sort((a, b) => {
    if (a.wilsonLower === null || b.wilsonLower === null) {
      if (a.wilsonLower !== b.wilsonLower) return a.wilsonLower === null ? 1 : -1;
    } else if (a.wilsonLower !== b.wilsonLower) return a.wilsonLower - b.wilsonLower;
    return b.views - a.views || a.path.localeCompare(b.path);
  });
  return { pages };
}
