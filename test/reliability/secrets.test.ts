import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Credential shapes worth a commit hook: cloud keys, SaaS tokens, private keys, and Onramp's own secrets. */
const SECRET_PATTERNS: Array<[string, RegExp]> = [
  ['private key', /-----BEGIN (?:RSA |EC |OPENSSH |DSA |ENCRYPTED )?PRIVATE KEY-----/],
  ['AWS access key', /\bAKIA[0-9A-Z]{16}\b/],
  ['GitHub token', /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})\b/],
  ['Slack token', /\bxox[baprs]-[A-Za-z0-9-]{10,}/],
  ['Stripe live key', /\b[sr]k_live_[A-Za-z0-9]{16,}/],
  ['OpenAI/Anthropic key', /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{32,}/],
  ['Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
  ['PostHog personal API key', /\bphx_[A-Za-z0-9]{30,}/],
  ['Onramp live API key', /\bonr_live_[A-Za-z0-9]{40}\b/],
  ['Onramp generated admin token', /\bonr_admin_[A-Za-z0-9_-]{32}\b/],
];

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

/** Uses the admin token every way the product accepts it, right and wrong, so any logging of it would show. */
async function exerciseAdminToken(url: string, token: string) {
  expect((await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  expect((await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
  expect((await fetch(`${url}/api/v1/events?limit=abc`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(400);
  expect(await post(`${url}/api/v1/admin/session`, { token }, { origin: url })).toBeLessThan(500);
  expect(await post(`${url}/api/v1/admin/session`, { token: `${token}x` }, { origin: url })).toBe(401);
  // The token sent where it does not belong: as a capture token and as a sandbox key.
  expect(await post(`${url}/i/v0/e/`, { event: 'x', distinct_id: 'd', api_key: token })).toBe(401);
  expect((await fetch(`${url}/sandbox/v1/messages`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
}

describe('secrets', () => {
  it('a generated admin token is printed once, in the start message, and never again (errors and shutdown included)', { timeout: 60_000 }, async () => {
    const server = await startServer({ env: { ONRAMP_ADMIN_TOKEN: undefined as unknown as string } });
    // The token line follows the listening line; it may arrive in the next chunk of output.
    for (let i = 0; i < 40 && !/Admin token/.test(server.output()); i += 1) await new Promise((r) => setTimeout(r, 50));
    const token = server.output().match(/Admin token[^\n]*: (onr_admin_\S+)/)?.[1];
    expect(token, server.output()).toMatch(/^onr_admin_[A-Za-z0-9_-]{32}$/);
    await exerciseAdminToken(server.url, token!);
    expect(await server.stop()).toBe(0);
    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.includes(token!));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Admin token/);
    expect(
      server
        .output()
        .split('\n')
        .findIndex((l) => l.includes(token!)),
    ).toBeLessThanOrEqual(
      server
        .output()
        .split('\n')
        .findIndex((l) => l.startsWith('Onramp listening')) + 1,
    );
  });

  it('an admin token from ONRAMP_ADMIN_TOKEN is never printed at all', { timeout: 60_000 }, async () => {
    const token = 'onr_admin_from_env_Zx8Qw2Lk5Vb7Np3Rt6Yh9';
    const server = await startServer({ env: { ONRAMP_ADMIN_TOKEN: token } });
    await exerciseAdminToken(server.url, token);
    expect(await server.stop()).toBe(0);
    expect(server.output()).not.toContain(token);
    expect(server.output()).not.toContain(token.slice(10, 30));
  });

  it('no credentials, private keys, env files or databases are tracked by git', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
    expect(files.length).toBeGreaterThan(20);
    const badNames = files.filter(
      (f) => /(^|\/)(\.env(\..+)?|id_rsa|id_ed25519|.+\.pem|.+\.key|.+\.p12|.+\.db|.+\.sqlite3?)$/.test(f) && !f.endsWith('.env.example'),
    );
    expect(badNames).toEqual([]);
    const findings: string[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(join(root, file), 'utf8');
      } catch {
        continue;
      }
      if (text.includes('\0')) continue;
      for (const [name, pattern] of SECRET_PATTERNS) {
        const match = text.match(pattern);
        if (match) findings.push(`${file}: ${name} (${match[0].slice(0, 12)}…)`);
      }
    }
    expect(findings).toEqual([]);
  });

  it('the scanner recognises each credential shape it looks for', () => {
    const samples = [
      // Assembled at run time so this file does not trip its own scan.
      `-----BEGIN RSA ${'PRIVATE'} KEY-----`,
      `AKIA${'IOSFODNN7EXAMPLE'}`,
      `ghp_${'a'.repeat(36)}`,
      `xox${'b'}-1234567890-abcdef`,
      `sk_live_${'b'.repeat(24)}`,
      `sk-${'c'.repeat(40)}`,
      `AIza${'d'.repeat(35)}`,
      `phx_${'e'.repeat(32)}`,
      `onr_live_${'f'.repeat(40)}`,
      `onr_admin_${'g'.repeat(32)}`,
    ];
    for (const [i, sample] of samples.entries()) expect(SECRET_PATTERNS[i]![1].test(sample), sample).toBe(true);
  });
});
