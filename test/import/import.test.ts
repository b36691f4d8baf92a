import { describe, expect, it } from 'vitest';
import { importFile } from '../../api/import/importer.ts';
import { testDb } from '../support/app.ts';
import { countEvents, eventTuples, jsonl, personOf, posthogRows, TOKEN, tempFile } from './support.ts';

describe('import: formats', () => {
  it('imports a PostHog JSON-lines export with identity merge, PostHog timestamps and JSON-string properties', async () => {
    const db = testDb();
    const file = tempFile(
      'events.jsonl',
      jsonl([
        {
          uuid: '0190a000-0000-7000-8000-000000000001',
          event: '$pageview',
          distinct_id: 'anon-1',
          timestamp: '2026-01-05 10:00:00.123000',
          properties: '{"$pathname":"/docs/errors/","token":"phc_their_project"}',
          team_id: 2,
          elements_chain: '',
        },
        {
          uuid: '0190a000-0000-7000-8000-000000000002',
          event: '$identify',
          distinct_id: 'acct_1',
          timestamp: '2026-01-05T10:01:00Z',
          properties: { $anon_distinct_id: 'anon-1' },
          set: { email: 'a@example.com' },
        },
        {
          uuid: '0190a000-0000-7000-8000-000000000003',
          event: 'signed_up',
          distinct_id: 'acct_1',
          timestamp: '2026-01-05 10:01:01+00:00',
          properties: {},
          person_id: 'ignored',
        },
      ]),
    );
    const summary = await importFile(db.$client, file, { projectToken: TOKEN });
    expect(summary).toMatchObject({ format: 'jsonl', imported: 3, duplicates: 0, rejected: 0, interrupted: false });
    expect(personOf(db, 'anon-1')).toBe(personOf(db, 'acct_1'));
    const rows = eventTuples(db);
    expect(rows[0]).toMatchObject({ event: '$pageview', timestamp: Date.UTC(2026, 0, 5, 10, 0, 0, 123) });
    expect(JSON.parse(rows[0]!.properties)).toEqual({ $pathname: '/docs/errors/' });
    expect(rows[2]!.timestamp).toBe(Date.UTC(2026, 0, 5, 10, 1, 1));
    const props = db.$client.prepare('SELECT properties FROM persons WHERE id = ?').pluck().get(personOf(db, 'acct_1')) as string;
    expect(JSON.parse(props)).toMatchObject({ email: 'a@example.com' });
  });

  it('imports a PostHog CSV export with a JSON properties column, quoted commas and $set', async () => {
    const db = testDb();
    const file = tempFile(
      'events.csv',
      [
        'uuid,event,distinct_id,timestamp,properties,person_id,$set',
        '0190a000-0000-7000-8000-000000000011,$pageview,anon-2,2026-01-06 09:00:00,"{""$pathname"":""/quickstarts/curl/"",""title"":""Hello, world""}",p1,',
        '0190a000-0000-7000-8000-000000000012,$identify,acct_2,2026-01-06 09:05:00,"{""$anon_distinct_id"":""anon-2""}",p1,"{""plan"":""free""}"',
        '',
        '0190a000-0000-7000-8000-000000000013,api_call,acct_2,1767690360000,"{""status"":201}",p1,',
      ].join('\n'),
    );
    const summary = await importFile(db.$client, file, { projectToken: TOKEN });
    expect(summary).toMatchObject({ format: 'csv', imported: 3, rejected: 0 });
    expect(personOf(db, 'anon-2')).toBe(personOf(db, 'acct_2'));
    const rows = eventTuples(db);
    expect(JSON.parse(rows[0]!.properties)).toEqual({ $pathname: '/quickstarts/curl/', title: 'Hello, world' });
    expect(rows[0]!.timestamp).toBe(Date.UTC(2026, 0, 6, 9));
    expect(rows[2]!.timestamp).toBe(1767690360000);
  });

  it('reads flattened properties.<name> CSV columns with their JSON types', async () => {
    const db = testDb();
    const file = tempFile(
      'flat.csv',
      'event,distinct_id,timestamp,properties.status,properties.endpoint,properties.ok\napi_call,acct_3,2026-01-06T09:00:00Z,404,/sandbox/v1/messages/:id,false\n',
    );
    const summary = await importFile(db.$client, file, { projectToken: TOKEN });
    expect(summary.imported).toBe(1);
    expect(JSON.parse(eventTuples(db)[0]!.properties)).toEqual({ status: 404, endpoint: '/sandbox/v1/messages/:id', ok: false });
  });

  it('refuses a CSV file whose header has no event column', async () => {
    const db = testDb();
    await expect(importFile(db.$client, tempFile('noevent.csv', 'uuid,name\n1,2\n'), { projectToken: TOKEN })).rejects.toThrow(/no "event" column/);
    expect(countEvents(db)).toBe(0);
  });

  it("imports Onramp's own JSONL and keeps receivedAt", async () => {
    const db = testDb();
    const file = tempFile(
      'onramp.jsonl',
      jsonl([
        {
          uuid: '0190a000-0000-7000-8000-000000000021',
          event: 'api_call',
          distinctId: 'acct_4',
          personId: 'x',
          timestamp: '2026-02-01T00:00:00.000Z',
          receivedAt: '2026-02-01T00:00:01.000Z',
          properties: { status: 401, error_code: 'invalid_api_key' },
        },
      ]),
    );
    const summary = await importFile(db.$client, file, { projectToken: TOKEN });
    expect(summary.imported).toBe(1);
    const row = db.$client.prepare('SELECT distinct_id, timestamp, received_at FROM events').get();
    expect(row).toEqual({ distinct_id: 'acct_4', timestamp: Date.parse('2026-02-01T00:00:00Z'), received_at: Date.parse('2026-02-01T00:00:01Z') });
  });
});

describe.each([
  ['in-thread', false],
  ['with the parse worker', true],
])('import: bad rows (%s)', (_mode, parallel) => {
  const content = jsonl([
    posthogRows(1)[0],
    '{"event": "broken", ',
    { uuid: '0190a000-0000-7000-8000-00000000aa03', distinct_id: 'x', timestamp: '2026-01-01T00:00:00Z' },
    { uuid: '0190a000-0000-7000-8000-00000000aa04', event: 'e', distinct_id: 'x', timestamp: 'yesterday-ish' },
    '',
    { uuid: 'not-a-uuid', event: 'e', distinct_id: 'x', timestamp: '2026-01-01T00:00:00Z' },
    { event: 'e', distinct_id: 'x', timestamp: '2026-01-01T00:00:00Z', properties: '[1,2]' },
    { event: 'e', timestamp: '2026-01-01T00:00:00Z' },
    { uuid: '0190a000-0000-7000-8000-00000000aa09', event: 'ok', distinct_id: 'y', timestamp: '2026-01-01T00:00:00Z' },
  ]);

  it('reports each bad row with its line number and reason, and imports the rest', async () => {
    const db = testDb();
    const summary = await importFile(db.$client, tempFile('bad.jsonl', content), { projectToken: TOKEN, parallel });
    expect(summary.imported).toBe(2);
    expect(summary.rejected).toBe(6);
    expect(summary.rejectedRows.map((r) => r.line)).toEqual([2, 3, 4, 6, 7, 8]);
    const reasons = Object.fromEntries(summary.rejectedRows.map((r) => [r.line, r.reason]));
    expect(reasons[2]).toMatch(/not valid JSON/);
    expect(reasons[3]).toMatch(/^event: required/);
    expect(reasons[4]).toMatch(/^timestamp: cannot parse/);
    expect(reasons[6]).toMatch(/^uuid: must be a UUID/);
    expect(reasons[7]).toMatch(/^properties: must be a JSON object/);
    expect(reasons[8]).toMatch(/^distinct_id: required/);
    expect(summary.interrupted).toBe(false);
  });

  it('--strict stops at the first bad row and keeps the rows before it', async () => {
    const db = testDb();
    const summary = await importFile(db.$client, tempFile('bad.jsonl', content), { projectToken: TOKEN, parallel, strict: true });
    expect(summary.strictFailure).toMatchObject({ line: 2 });
    expect(summary).toMatchObject({ imported: 1, rejected: 1, interrupted: true });
    expect(countEvents(db)).toBe(1);
  });

  it('--strict finds a bad row in the middle of a validation chunk', async () => {
    const db = testDb();
    const rows: unknown[] = posthogRows(1500);
    rows[1233] = { ...(rows[1233] as object), timestamp: 'never' };
    const summary = await importFile(db.$client, tempFile('mid.jsonl', jsonl(rows)), { projectToken: TOKEN, parallel, strict: true });
    expect(summary.strictFailure).toMatchObject({ line: 1234 });
    expect(countEvents(db)).toBe(1233);
  });
});

describe.each([
  ['in-thread', false],
  ['with the parse worker', true],
])('import: idempotent and resumable (%s)', (_mode, parallel) => {
  it('stores nothing twice when the same file is imported again, with or without its checkpoint', async () => {
    const db = testDb();
    const file = tempFile('again.jsonl', jsonl(posthogRows(500)));
    expect((await importFile(db.$client, file, { projectToken: TOKEN, parallel })).imported).toBe(500);
    const second = await importFile(db.$client, file, { projectToken: TOKEN, parallel });
    expect(second).toMatchObject({ alreadyComplete: true, imported: 0 });
    const third = await importFile(db.$client, file, { projectToken: TOKEN, parallel, restart: true });
    expect(third).toMatchObject({ imported: 0, duplicates: 500, alreadyComplete: false });
    expect(countEvents(db)).toBe(500);
  });

  // Worker start-up costs ~0.7 s here, so the worker variant covers the resume paths, not every case again.
  const inThreadOnly = (name: string, fn: () => Promise<void>) => {
    if (!parallel) it(name, fn);
  };

  inThreadOnly('gives rows without a uuid a content-derived uuid, so a re-import does not duplicate them', async () => {
    const db = testDb();
    const file = tempFile('nouuid.jsonl', jsonl(posthogRows(50, { withUuid: false })));
    expect((await importFile(db.$client, file, { projectToken: TOKEN, parallel })).imported).toBe(50);
    const copy = tempFile('nouuid-copy.jsonl', `${jsonl(posthogRows(50, { withUuid: false }))}\n`);
    const again = await importFile(db.$client, copy, { projectToken: TOKEN, parallel });
    expect(again).toMatchObject({ imported: 0, duplicates: 50 });
    expect(eventTuples(db)[0]!.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it.each([
    ['JSON lines', 'big.jsonl', (rows: Array<Record<string, unknown>>) => jsonl(rows)],
    [
      'CSV',
      'big.csv',
      (rows: Array<Record<string, unknown>>) =>
        'uuid,event,distinct_id,timestamp,properties\n' +
        rows.map((r) => `${r.uuid},${r.event},${r.distinct_id},${r.timestamp},"${JSON.stringify(r.properties).replaceAll('"', '""')}"`).join('\n') +
        '\n',
    ],
  ])('%s: an interrupted import resumes from its checkpoint with no loss and no duplicates', async (_label, name, render) => {
    const db = testDb();
    const rows = posthogRows(5000);
    rows[2500] = { ...rows[2500]!, event: '' } as (typeof rows)[number];
    const file = tempFile(name, render(rows));
    const first = await importFile(db.$client, file, { projectToken: TOKEN, parallel, commitEvery: 700, stopAfterRows: 3100 });
    expect(first.interrupted).toBe(true);
    expect(first.imported).toBeGreaterThan(0);
    expect(countEvents(db)).toBe(first.imported);

    const second = await importFile(db.$client, file, { projectToken: TOKEN, parallel, commitEvery: 700 });
    expect(second.resumedAfterLine).toBeGreaterThan(0);
    expect(second.duplicates).toBe(0);
    expect(first.imported + second.imported).toBe(4999);
    expect(first.rejected + second.rejected).toBe(1);
    expect(countEvents(db)).toBe(4999);
    expect(personOf(db, 'anon-999')).toBe(personOf(db, 'user-999'));
  });

  it('an abort signal stops the import after committing what was read', async () => {
    const db = testDb();
    const file = tempFile('abort.jsonl', jsonl(posthogRows(30_000)));
    const controller = new AbortController();
    const first = await importFile(db.$client, file, {
      projectToken: TOKEN,
      parallel,
      commitEvery: 1000,
      onProgress: (p) => {
        if (p.imported > 0) controller.abort();
      },
      signal: controller.signal,
    });
    expect(first.interrupted).toBe(true);
    expect(countEvents(db)).toBe(first.imported);
    expect(first.imported).toBeLessThan(30_000);
    const rest = await importFile(db.$client, file, { projectToken: TOKEN, parallel });
    expect(rest.duplicates).toBe(0);
    expect(countEvents(db)).toBe(30_000);
  });
});

describe('import: a chunk and its checkpoint commit together', () => {
  it('keeps neither when the checkpoint cannot be saved, so the next run starts where the last commit ended', async () => {
    const db = testDb();
    const file = tempFile('atomic.jsonl', jsonl(posthogRows(30)));
    db.$client.exec(`CREATE TRIGGER refuse_checkpoint BEFORE INSERT ON import_checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoint refused'); END`);
    await expect(importFile(db.$client, file, { projectToken: TOKEN, commitEvery: 10 })).rejects.toThrow(/checkpoint refused/);
    expect(countEvents(db)).toBe(0);
    db.$client.exec('DROP TRIGGER refuse_checkpoint');
    expect(await importFile(db.$client, file, { projectToken: TOKEN, commitEvery: 10 })).toMatchObject({ imported: 30, duplicates: 0 });
  });
});
