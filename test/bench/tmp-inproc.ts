import { parseFunnelParams } from '../../api/analytics/funnel-params.ts';
import { parseRangeParams, parseTtfsiParams } from '../../api/analytics/params.ts';
import { sqliteStorage } from '../../api/storage/sqlite.ts';
import { openDb } from '../../db/client.ts';
import { DAY, END } from './scale/history.ts';

const file = process.argv[2]!;
const storage = sqliteStorage(openDb(file));
const reports = storage.reports;
const q = { from: String(END - 30 * DAY), to: String(END) };
let t = performance.now();
await reports.warm();
console.log('warm', (performance.now() - t).toFixed(0), 'ms', 'rss', Math.round(process.memoryUsage().rss / 1e6), 'MB');
const cases: Array<[string, () => Promise<unknown>]> = [
  ['default', () => reports.funnel(parseFunnelParams(q))],
  ['ttfsi', () => reports.ttfsi(parseTtfsiParams(q))],
  ['pageview', () => reports.funnel(parseFunnelParams({ ...q, steps: '$pageview,signed_up,api_key_created' }))],
  ['docs', () => reports.docs(parseRangeParams(q))],
];
for (const [name, run] of cases.filter(([n]) => !process.env.ONLY || n === process.env.ONLY)) {
  const times: number[] = [];
  for (let i = 0; i < (process.env.N ? Number(process.env.N) : 4); i++) {
    t = performance.now();
    const c0 = process.cpuUsage();
    await run();
    const cpu = process.cpuUsage(c0);
    times.push(performance.now() - t);
    if (i > 0) console.log(name, 'wall', times[i]!.toFixed(1), 'cpu', ((cpu.user + cpu.system) / 1000).toFixed(1));
  }
  if (name === 'default') console.log('first', times[0]!.toFixed(0));
}
console.log('rss', Math.round(process.memoryUsage().rss / 1e6), 'MB');
process.exit(0);
