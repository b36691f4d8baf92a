import type { AlertCondition, Evaluation } from './evaluate.ts';
import type { AlertRule } from './rules.ts';

const pct = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${(x * 100).toFixed(1)}%`);

/** The reports UI view showing the same query as the rule (funnel page, or TTFSI page for TTFSI rules). */
export function reportLink(baseUrl: string, rule: AlertRule): string {
  const page = rule.trigger.kind === 'ttfsi_p50_above' ? '/reports/ttfsi/' : '/reports/';
  const query = new URLSearchParams({ range: rule.range, steps: rule.steps.join(','), window: rule.window, order: 'ordered' });
  return `${baseUrl.replace(/\/+$/, '')}${page}?${query.toString()}`;
}

/**
 * Look-alikes for Slack's formatting characters. mrkdwn has no escape character, so a client-sent `*`, `~`, backtick
 * or word-edge `_` would otherwise bold, strike, code or italicise the rest of the alert.
 */
const FORMATTING_LOOKALIKES: Record<string, string> = { '*': '\u2217', '~': '\u223C', '`': '\u02CB', _: '\u02CD' };

/**
 * Makes untrusted text (event names, paths, error codes, rule names) inert in Slack mrkdwn: `&`, `<`, `>` become
 * entities, so `<https://evil|click>` links and `<!channel>` / `<@U123>` mentions show as text; `*`, `~` and
 * backticks become look-alikes, and so does `_` where it could open or close italics (at a word edge). An `_` inside
 * a word (`first_successful_call`) is never markup in Slack, so names stay as they are.
 */
export function escapeMrkdwn(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replace(/[*~`]/g, (c) => FORMATTING_LOOKALIKES[c]!)
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, FORMATTING_LOOKALIKES._!);
}

const esc = escapeMrkdwn;

/**
 * A Slack-compatible incoming-webhook body: `text` (the notification line, also what non-Slack receivers read)
 * plus Block Kit blocks with the step, the rates, p, the top evidence and a link to the report.
 */
export function alertMessage(rule: AlertRule, condition: AlertCondition, evaluation: Evaluation, link: string) {
  const text = `Onramp alert "${esc(rule.name)}": ${esc(condition.message)}`;
  const fields: string[] = [];
  if (condition.step !== undefined) fields.push(`*Step*\n${condition.step + 1}. ${esc(condition.event ?? '')}`);
  if (condition.currentRate !== undefined) fields.push(`*Conversion*\n${pct(condition.previousRate)} → ${pct(condition.currentRate)}`);
  if (condition.p !== undefined && condition.p !== null) fields.push(`*p*\n${condition.p.toPrecision(2)}`);
  if (condition.threshold !== undefined) {
    fields.push(`*Threshold*\n${condition.kind === 'ttfsi_p50_above' ? `${Math.round(condition.threshold)} s` : pct(condition.threshold)}`);
  }
  if (condition.value !== undefined && condition.value !== null) fields.push(`*TTFSI p50*\n${Math.round(condition.value)} s`);
  fields.push(`*Range*\n${new Date(evaluation.from).toISOString().slice(0, 10)} → ${new Date(evaluation.to).toISOString().slice(0, 10)}`);

  const evidence: string[] = [];
  const errors = condition.evidence?.topErrors.slice(0, 3) ?? [];
  if (errors.length > 0) evidence.push(`*Top errors of stalled persons:* ${errors.map((e) => `\`${esc(e.code)}\` ×${e.count}`).join(', ')}`);
  const pages = condition.evidence?.lastPages.slice(0, 3) ?? [];
  if (pages.length > 0) {
    evidence.push(`*Last pages read before stalling:* ${pages.map((p) => `${esc(p.path)} ×${p.count} (helpful ${pct(p.helpfulRate)})`).join(', ')}`);
  }

  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `Onramp alert: ${rule.name}`.slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: esc(condition.message) } },
    { type: 'section', fields: fields.map((f) => ({ type: 'mrkdwn', text: f })) },
  ];
  if (evidence.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: evidence.join('\n') } });
  blocks.push({
    type: 'actions',
    elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open the report' }, url: link }],
  });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `<${link}|${esc(link)}>` }] });
  return { text: `${text} ${link}`, blocks };
}
