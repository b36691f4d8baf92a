import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlertRunner } from '../../api/alerts/runner.ts';
import { classifyAddress, REFUSED_PRIVATE, type ResolveHost } from '../../api/alerts/webhook-target.ts';
import { parseEnv } from '../../api/env.ts';
import { ADMIN_TOKEN, adminHeaders, PROJECT_TOKEN, testApp } from '../support/app.ts';
import { alertsApi, conversionRule, developerEvents, LOCAL_RECEIVERS, useReceivers } from './support.ts';
import { alertTestBed } from './testbed.ts';

/**
 * Alert webhooks cannot be aimed at the server's own network: every test target is loopback (watched by a listener
 * that counts connections) or an address the code must refuse before connecting. Host names get their addresses from
 * a resolver the test controls, so no test sends a packet, DNS included, beyond loopback.
 */
const NOW = Date.UTC(2026, 10, 20, 12);
const DAY = 86_400_000;
const CONDITION = 'conversion_below:2:first_successful_call';

const receiver = useReceivers();

/** A TCP listener on loopback that counts the connections it accepts (and answers none). */
async function loopbackListener(host: '127.0.0.1' | '::1'): Promise<{ port: number; connections: () => number; server: Server }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  return { port: (server.address() as AddressInfo).port, connections: () => connections, server };
}

const listeners: Server[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});
async function watched(host: '127.0.0.1' | '::1') {
  const listener = await loopbackListener(host);
  listeners.push(listener.server);
  return listener;
}

/** A resolver answering from a table, counting calls; names not in it fail as unknown. */
function resolverOf(answers: Record<string, string[] | (() => string[])>): ResolveHost & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const entry = answers[hostname];
    if (!entry) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return (typeof entry === 'function' ? entry() : entry).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

describe('webhook targets refused when a rule is saved', () => {
  it.each([
    ['loopback', (v4: number) => `http://127.0.0.1:${v4}/hook`],
    ['IPv6 loopback', (_v4: number, v6: number) => `http://[::1]:${v6}/hook`],
    ['a decimal IPv4', (v4: number) => `http://2130706433:${v4}/hook`],
    ['a hex IPv4', (v4: number) => `http://0x7f000001:${v4}/hook`],
    ['an octal IPv4', (v4: number) => `http://0177.0.0.1:${v4}/hook`],
    ['a short IPv4', (v4: number) => `http://127.1:${v4}/hook`],
    ['an IPv4-mapped IPv6 loopback', (v4: number) => `http://[::ffff:127.0.0.1]:${v4}/hook`],
    ['the unspecified address', (v4: number) => `http://0.0.0.0:${v4}/hook`],
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/'],
    ['IPv4-mapped cloud metadata', () => 'http://[::ffff:a9fe:a9fe]/latest/meta-data/'],
    ['AWS IPv6 metadata', () => 'http://[fd00:ec2::254]/latest/meta-data/'],
    ['RFC 1918 10/8', () => 'http://10.0.0.1/hook'],
    ['RFC 1918 172.16/12', () => 'http://172.16.5.4/hook'],
    ['RFC 1918 192.168/16', () => 'https://192.168.1.20/hook'],
    ['CGNAT', () => 'http://100.64.0.7/hook'],
    ['IPv6 unique-local', () => 'http://[fd12:3456::1]/hook'],
    ['IPv6 link-local', () => 'http://[fe80::1]/hook'],
    ['multicast', () => 'http://224.0.0.251/hook'],
  ])('refuses %s with a 400 naming webhookUrl, before any connection', async (_what, target) => {
    const [v4, v6] = [await watched('127.0.0.1'), await watched('::1')];
    const api = alertsApi(alertTestBed().storage, { now: NOW }, {});
    const url = target(v4.port, v6.port);

    const created = await api('POST', '/', conversionRule(url));
    expect(created.status).toBe(400);
    expect(created.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^webhookUrl: /) });
    expect((await api('GET', '/')).body.rules).toEqual([]);
    expect(v4.connections() + v6.connections()).toBe(0);
  });

  it('refuses a host name that resolves to a private address, or to public and private ones at once', async () => {
    const resolveHost = resolverOf({ 'hooks.internal.test': ['169.254.169.254'], 'mixed.test': ['93.184.215.14', '10.1.2.3'], 'fine.test': ['93.184.215.14'] });
    const api = alertsApi(alertTestBed().storage, { now: NOW }, { resolveHost });
    for (const host of ['hooks.internal.test', 'mixed.test']) {
      const res = await api('POST', '/', conversionRule(`https://${host}/hook`));
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/^webhookUrl: /);
    }
    // A public name is saved (nothing is sent when a rule is saved: the resolver is all it touches).
    expect((await api('POST', '/', conversionRule('https://fine.test/hook'))).status).toBe(201);
    const id = (await api('GET', '/')).body.rules[0].id as string;
    expect((await api('PATCH', `/${id}`, { webhookUrl: 'http://10.0.0.9/x' })).body.error.message).toMatch(/^webhookUrl: /);
    expect(resolveHost.calls).toEqual(['hooks.internal.test', 'mixed.test', 'fine.test']);
  });

  it('classifies addresses with the IPv4-mapped forms judged as the address they carry', () => {
    expect(['8.8.8.8', '2001:4860:4860::8888', '::ffff:8.8.8.8'].map(classifyAddress)).toEqual(['public', 'public', 'public']);
    expect(['127.0.0.1', '::1', '10.0.0.1', '100.64.0.1', 'fe80::1', 'fd00::1', '::ffff:192.168.0.1'].map(classifyAddress)).toEqual(Array(7).fill('private'));
    // Never, even with private targets allowed: metadata, unspecified, multicast, broadcast, transition forms.
    expect(
      ['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254', '100.100.100.200', '0.0.0.0', '::', '224.0.0.1', '255.255.255.255', '2002:7f00:1::'].map(
        classifyAddress,
      ),
    ).toEqual(Array(9).fill('never'));
  });

  it('allows private targets with ONRAMP_ALERTS_ALLOW_PRIVATE_WEBHOOKS=1, and refuses them without it', async () => {
    expect(parseEnv({}).ONRAMP_ALERTS_ALLOW_PRIVATE_WEBHOOKS).toBe(false);
    expect(parseEnv({ ONRAMP_ALERTS_ALLOW_PRIVATE_WEBHOOKS: '1' }).ONRAMP_ALERTS_ALLOW_PRIVATE_WEBHOOKS).toBe(true);
    const r = await receiver();
    const post = (app: ReturnType<typeof testApp>['app'], url: string) =>
      app.request('/api/v1/alerts', {
        method: 'POST',
        headers: { ...adminHeaders, 'content-type': 'application/json' },
        body: JSON.stringify(conversionRule(url)),
      });

    const lan = testApp({
      env: { ...parseEnv({ ONRAMP_ALERTS_ALLOW_PRIVATE_WEBHOOKS: '1' }), ONRAMP_PROJECT_TOKEN: PROJECT_TOKEN, ONRAMP_ADMIN_TOKEN: ADMIN_TOKEN },
    }).app;
    expect((await post(lan, r.url)).status).toBe(201);
    // Metadata stays refused with the flag on.
    expect((await post(lan, 'http://169.254.169.254/latest/')).status).toBe(400);
    const strict = testApp().app;
    const refused = await post(strict, r.url);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/^webhookUrl: /);
    expect(r.hits).toBe(0);
  });
});

describe('webhook delivery', () => {
  /** A stored rule over developers converting below its threshold, posting to `url`, saved with private targets allowed. */
  async function firingRule(url: string) {
    const bed = alertTestBed();
    await bed.addEvents(developerEvents('a', 40, 10, NOW - 3 * DAY));
    const rule = await bed.storage.rules.create(
      {
        ...conversionRule(url),
        steps: ['signed_up', 'api_key_created', 'first_successful_call'],
        window: '14d',
        range: '7d',
        interval: 'hourly',
        enabled: true,
        trigger: { kind: 'conversion_below', threshold: 0.5, step: 2 },
      },
      NOW,
    );
    return { bed, rule };
  }

  it('records a refused delivery, and connects nowhere, when the flag is off at send time', async () => {
    const listener = await watched('127.0.0.1');
    const { bed, rule } = await firingRule(`http://127.0.0.1:${listener.port}/hook`);
    const runner = createAlertRunner(bed.storage, { baseUrl: 'http://x', now: () => NOW, delivery: { baseDelayMs: 5 }, log: () => {} });

    const result = await runner.check(rule);
    expect(result.alerted).toEqual([]);
    expect(result.deliveries).toEqual([
      expect.objectContaining({ status: 'failed', attempts: 1, responseStatus: null, error: REFUSED_PRIVATE, condition: CONDITION }),
    ]);
    expect(listener.connections()).toBe(0);
    // Refused conditions are not left marked alerted: the next check decides again.
    expect((await bed.storage.rules.get(rule.id))!.activeConditions).toEqual([]);
  });

  it('re-resolves at send time: a name that turned private after the rule was saved is refused before connecting', async () => {
    const listener = await watched('127.0.0.1');
    let answer = ['93.184.215.14'];
    const resolveHost = resolverOf({ 'rebind.test': () => answer });
    const bed = alertTestBed();
    await bed.addEvents(developerEvents('a', 40, 10, NOW - 3 * DAY));
    const api = alertsApi(bed.storage, { now: NOW }, { resolveHost });
    const id = (await api('POST', '/', conversionRule(`http://rebind.test:${listener.port}/hook`))).body.id as string;
    answer = ['127.0.0.1'];

    const check = await api('POST', `/${id}/check`);
    expect(check.body.deliveries).toEqual([expect.objectContaining({ status: 'failed', error: REFUSED_PRIVATE, responseStatus: null })]);
    expect(listener.connections()).toBe(0);
    const log = (await api('GET', `/${id}/deliveries`)).body.deliveries as Array<Record<string, unknown>>;
    expect(log.map((d) => d.error)).toEqual([REFUSED_PRIVATE]);
  });

  it('connects to the address it checked, keeping the URL name in the Host header, without resolving again', async () => {
    const r = await receiver();
    const port = new URL(r.url).port;
    // A second answer would point elsewhere; a client that resolved again on its own would not reach the receiver.
    const answers = [['127.0.0.1'], ['10.9.9.9']];
    const resolveHost = resolverOf({ 'hooks.lan.test': () => answers.shift() ?? ['10.9.9.9'] });
    const { bed, rule } = await firingRule(`http://hooks.lan.test:${port}/hook`);
    const runner = createAlertRunner(bed.storage, {
      baseUrl: 'http://x',
      now: () => NOW,
      delivery: { baseDelayMs: 5, ...LOCAL_RECEIVERS, resolveHost },
      log: () => {},
    });

    const result = await runner.check(rule);
    expect(result.deliveries[0]).toMatchObject({ status: 'delivered', responseStatus: 200 });
    expect(r.hits).toBe(1);
    expect(r.hosts).toEqual([`hooks.lan.test:${port}`]);
    expect(resolveHost.calls).toEqual(['hooks.lan.test']);
  });

  it('over https, presents the URL name as TLS SNI while connecting to the checked address', async () => {
    // A self-signed certificate for the name: the handshake reaches the server (which records the SNI) and the
    // client then refuses the certificate, which it does not trust.
    const dir = mkdtempSync(join(tmpdir(), 'onramp-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=hooks.lan.test',
      ],
      { stdio: 'ignore' },
    );
    const context = createSecureContext({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) });
    const serverNames: string[] = [];
    const tlsServer = createTlsServer(
      {
        SNICallback: (name, callback) => {
          serverNames.push(name);
          callback(null, context);
        },
      },
      (socket) => socket.destroy(),
    );
    tlsServer.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    listeners.push(tlsServer as unknown as Server);
    const port = (tlsServer.address() as AddressInfo).port;
    const resolveHost = resolverOf({ 'hooks.lan.test': ['127.0.0.1'] });
    const { bed, rule } = await firingRule(`https://hooks.lan.test:${port}/hook`);
    const runner = createAlertRunner(bed.storage, {
      baseUrl: 'http://x',
      now: () => NOW,
      delivery: { maxAttempts: 1, ...LOCAL_RECEIVERS, resolveHost },
      log: () => {},
    });

    const result = await runner.check(rule);
    expect(serverNames).toEqual(['hooks.lan.test']);
    expect(result.deliveries[0]).toMatchObject({ status: 'failed', error: 'connection failed' });
  });

  it('logs a failed connection as "connection failed", not the socket error that would tell an open port from a closed one', async () => {
    const listener = await watched('127.0.0.1');
    const port = listener.port;
    await new Promise((resolve) => listener.server.close(resolve));
    const { bed, rule } = await firingRule(`http://127.0.0.1:${port}/hook`);
    const runner = createAlertRunner(bed.storage, {
      baseUrl: 'http://x',
      now: () => NOW,
      delivery: { baseDelayMs: 5, maxAttempts: 2, ...LOCAL_RECEIVERS },
      log: () => {},
    });
    const result = await runner.check(rule);
    expect(result.deliveries[0]).toMatchObject({ status: 'failed', attempts: 2, responseStatus: null, error: 'connection failed' });
  });
});

describe('Check now on a disabled rule', () => {
  it('answers 409 rule_disabled and sends nothing', async () => {
    const bed = alertTestBed();
    await bed.addEvents(developerEvents('a', 40, 10, NOW - 3 * DAY));
    const api = alertsApi(bed.storage, { now: NOW });
    const r = await receiver();
    const id = (await api('POST', '/', { ...conversionRule(r.url), enabled: false })).body.id as string;
    const res = await api('POST', `/${id}/check`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'rule_disabled', message: expect.stringMatching(/^enabled: /) });
    expect(r.hits).toBe(0);
    expect((await api('GET', `/${id}/deliveries`)).body.deliveries).toEqual([]);
    await api('PATCH', `/${id}`, { enabled: true });
    expect((await api('POST', `/${id}/check`)).body.alerted).toEqual([CONDITION]);
  });
});
