import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { CAPTURE_PATHS } from '../ingest/capture-core.ts';

const DEFAULT_DIST = fileURLToPath(new URL('../../dist', import.meta.url));
/** How often the build output is checked for a rebuild (new inline scripts). */
const RESCAN_MS = 1_000;

/**
 * Capture and posthog-js support routes are called from other sites (posthog-js on a customer's docs), so they
 * keep their CORS and skip `Cross-Origin-Resource-Policy: same-origin`, which would block `config.js` there.
 */
const CROSS_ORIGIN_PREFIXES = [...CAPTURE_PATHS, '/flags', '/decide', '/array/'];

function isCrossOriginApi(path: string): boolean {
  return CROSS_ORIGIN_PREFIXES.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`));
}

const INLINE_SCRIPT = /<script\b([^>]*)>([\s\S]*?)<\/script>/gi;

function htmlFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) htmlFiles(full, out);
    else if (name.endsWith('.html')) out.push(full);
  }
  return out;
}

/** Changes whenever any built page is added, removed or rewritten (a rebuild under a running server). */
function buildStamp(distDir: string): string {
  return htmlFiles(distDir)
    .map((f) => `${f}:${statSync(f).mtimeMs}`)
    .join('|');
}

/** `'sha256-…'` sources for every inline script in the built pages: Astro's island loader, Starlight's theme script. */
export function inlineScriptHashes(distDir: string): string[] {
  const hashes = new Set<string>();
  for (const file of htmlFiles(distDir)) {
    for (const [, attrs, body] of readFileSync(file, 'utf8').matchAll(INLINE_SCRIPT)) {
      if (/\bsrc\s*=/i.test(attrs ?? '') || !body) continue;
      hashes.add(`'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
    }
  }
  return [...hashes].sort();
}

/**
 * Security headers for the portal, docs, reports and JSON APIs (Hono's `secureHeaders`): a CSP that allows only
 * this origin's scripts plus the exact inline scripts the Astro build emitted (by hash, so an injected
 * `<script>` or `onerror=` cannot run), `X-Content-Type-Options: nosniff`, `Referrer-Policy`, frame and
 * cross-origin isolation headers, and HSTS when served over HTTPS.
 */
export function securityHeaders(opts: { distDir?: string; https?: boolean } = {}): MiddlewareHandler {
  const distDir = opts.distDir ?? DEFAULT_DIST;
  let cached = { at: 0, stamp: '\0', sources: '' };
  const scriptSources = () => {
    const now = Date.now();
    if (now - cached.at < RESCAN_MS) return cached.sources;
    const stamp = buildStamp(distDir);
    cached = stamp === cached.stamp ? { ...cached, at: now } : { at: now, stamp, sources: inlineScriptHashes(distDir).join(' ') };
    return cached.sources;
  };

  const headers = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      // Starlight's search (Pagefind) compiles WebAssembly; 'wasm-unsafe-eval' allows that and no JS eval.
      scriptSrc: ["'self'", "'wasm-unsafe-eval'", () => scriptSources()],
      // Starlight and the report charts set inline styles; styles cannot run code, so this stays open.
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      // posthog-js posts to this same origin (api_host).
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'self'"],
    },
    // Keeps the path for same-origin navigation (posthog-js reads it as $referrer), only the origin elsewhere.
    referrerPolicy: 'strict-origin-when-cross-origin',
    strictTransportSecurity: opts.https ? 'max-age=15552000; includeSubDomains' : false,
    xFrameOptions: 'SAMEORIGIN',
  });

  return async function securityHeadersUnlessCrossOriginApi(c, next) {
    if (isCrossOriginApi(c.req.path)) return next();
    return headers(c, next);
  };
}
