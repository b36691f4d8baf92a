import { describe, expect, it } from 'vitest';
import type { AlertCondition, Evaluation } from '../../api/alerts/evaluate.ts';
import { alertMessage, escapeMrkdwn } from '../../api/alerts/message.ts';
import { createRuleSchema, newRule } from '../../api/alerts/rules.ts';

const NOW = Date.UTC(2026, 10, 20, 12);
/** Client-sent text that would be markup in Slack mrkdwn: a link, mentions, bold, italics, strike, code. */
const HOSTILE = 'x <https://evil.example/login|Open the report> <!channel> <!here> <@U024BE7LH> *urgent* _now_ ~old~ `rm -rf` & more';

/** Every mrkdwn string of a Slack message: its `text` and the text of its mrkdwn blocks and fields. */
function mrkdwnTexts(message: ReturnType<typeof alertMessage>): string[] {
  const texts = [message.text];
  for (const block of message.blocks as Array<{
    text?: { type: string; text: string };
    fields?: Array<{ text: string }>;
    elements?: Array<{ type: string; text: string }>;
  }>) {
    if (block.text?.type === 'mrkdwn') texts.push(block.text.text);
    for (const field of block.fields ?? []) texts.push(field.text);
    for (const element of block.elements ?? []) if (element.type === 'mrkdwn') texts.push(element.text);
  }
  return texts;
}

describe('Slack alert message', () => {
  it('makes client-sent text inert: no links, mentions, bold, italics, strike or code from it', () => {
    const rule = newRule(
      createRuleSchema.parse({
        name: `Rule ${HOSTILE}`,
        webhookUrl: 'https://hooks.example/x',
        steps: ['signed_up', HOSTILE],
        trigger: { kind: 'significant_drop' },
      }),
      NOW,
    );
    const condition: AlertCondition = {
      key: 'significant_drop:1:x',
      kind: 'significant_drop',
      message: `Conversion to ${HOSTILE} dropped`,
      step: 1,
      event: HOSTILE,
      previousRate: 0.5,
      currentRate: 0.2,
      p: 0.001,
      evidence: {
        topErrors: [{ code: HOSTILE, count: 3 }],
        lastPages: [{ path: `/docs/${HOSTILE}`, count: 2, helpfulRate: 0.5 }],
      } as AlertCondition['evidence'],
    };
    const evaluation: Evaluation = { from: NOW - 7 * 86_400_000, to: NOW, conditions: [condition] };
    const link = 'https://onramp.example/reports/?range=7d';
    const texts = mrkdwnTexts(alertMessage(rule, condition, evaluation, link));

    for (const text of texts) {
      expect(text).not.toMatch(/<https:\/\/evil|<!channel>|<!here>|<@U024BE7LH>|\*urgent\*|_now_|~old~|`rm -rf`/);
    }
    const all = texts.join('\n');
    expect(all).toContain('&lt;!channel&gt;');
    expect(all).toContain('&amp; more');
    // The message's own markup and its own link are kept.
    expect(all).toContain('*Step*');
    expect(all).toContain(`<${link}|${link}>`);
  });

  it('escapes the characters Slack reads as markup, leaving underscores inside words alone', () => {
    expect(escapeMrkdwn('first_successful_call')).toBe('first_successful_call');
    expect(escapeMrkdwn('<!channel> a & b')).toBe('&lt;!channel&gt; a &amp; b');
    for (const markup of ['*bold*', '_italic_', '~strike~', '`code`', '__init__']) {
      expect(escapeMrkdwn(markup)).not.toMatch(/[*~`]|(^|\W)_|_(\W|$)/);
    }
  });
});
