import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { siteBuildFingerprint, siteBuildSettings } from '../../scripts/site-build.ts';

/** The portal is rebuilt exactly when something baked into dist/ changed. */
describe('portal build fingerprint', () => {
  function tree(files: Record<string, string>): string {
    const base = mkdtempSync(join(tmpdir(), 'onramp-site-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(base, path, '..'), { recursive: true });
      writeFileSync(join(base, path), text);
    }
    return base;
  }
  const settings = { projectToken: 'phc_a', publicUrl: undefined };

  it('is the same for the same sources and settings', () => {
    const files = { 'site/pages/index.astro': '<h1>Hi</h1>', 'package-lock.json': '{}' };
    expect(siteBuildFingerprint(settings, tree(files))).toBe(siteBuildFingerprint(settings, tree(files)));
  });

  it('changes with the project token or the public URL baked into the pages', () => {
    const base = tree({ 'site/pages/index.astro': '<h1>Hi</h1>' });
    const fingerprint = siteBuildFingerprint(settings, base);
    expect(siteBuildFingerprint({ ...settings, projectToken: 'phc_b' }, base)).not.toBe(fingerprint);
    expect(siteBuildFingerprint({ ...settings, publicUrl: 'https://dev.example.com' }, base)).not.toBe(fingerprint);
  });

  it('changes with a source file or the dependencies, not with file times', () => {
    const a = siteBuildFingerprint(settings, tree({ 'site/pages/index.astro': '<h1>Hi</h1>', 'package-lock.json': '{}' }));
    expect(siteBuildFingerprint(settings, tree({ 'site/pages/index.astro': '<h1>Ho</h1>', 'package-lock.json': '{}' }))).not.toBe(a);
    expect(siteBuildFingerprint(settings, tree({ 'site/pages/index.astro': '<h1>Hi</h1>', 'package-lock.json': '{"v":2}' }))).not.toBe(a);
  });

  it('reads the settings with the server defaults', () => {
    expect(siteBuildSettings({})).toEqual({ projectToken: 'phc_onramp_local', publicUrl: undefined });
    expect(siteBuildSettings({ ONRAMP_PROJECT_TOKEN: 'phc_x', ONRAMP_PUBLIC_URL: 'https://p.example' })).toEqual({
      projectToken: 'phc_x',
      publicUrl: 'https://p.example',
    });
  });
});
