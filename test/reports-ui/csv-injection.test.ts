import { describe, expect, it } from 'vitest';
import { toCsv } from '../../site/components/reports/csv.ts';

const one = (value: string) => toCsv([{ header: 'v', value: (r: { v: string }) => r.v }], [{ v: value }]).split('\r\n')[1];

describe('CSV export: cells a spreadsheet would run as formulas', () => {
  it.each([
    ['=1+1', "'=1+1"],
    [' =HYPERLINK("http://evil")', `"' =HYPERLINK(""http://evil"")"`],
    ['\n+SUM(A1)', `"'\n+SUM(A1)"`],
    ['\t-2', "'\t-2"],
    ['  @cmd', "'  @cmd"],
    ['＝1+1', "'＝1+1"],
    ['＋1', "'＋1"],
    ['－1', "'－1"],
    ['＠SUM(A1)', "'＠SUM(A1)"],
    [' ＝1', "' ＝1"],
  ])('prefixes %j', (value, expected) => {
    expect(one(value)).toBe(expected);
  });

  it.each([['plain text'], ['a=b'], [' leading space only'], ['x-1']])('leaves %j alone', (value) => {
    expect(one(value)).not.toMatch(/^"?'/);
  });
});
