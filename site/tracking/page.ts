/**
 * Page-level tracking for the docs, quickstarts and landing page, loaded as a plain module script (no React):
 * the `$pageview`, `quickstart_started` for quickstart pages, and `code_copied` for Expressive Code's copy button.
 */
import { QUICKSTART_META } from './events.ts';
import { canonicalPath } from './paths.ts';
import { initTracking, track } from './posthog.ts';

/** Language of the code block a copy button belongs to, as Expressive Code labels it (`sh`, `js`, `py`...). */
export function codeLanguageOf(button: Element): string {
  const block = button.closest('.expressive-code');
  const pre = block?.querySelector('pre[data-language]');
  return pre?.getAttribute('data-language') || 'text';
}

function onCopyClick(event: Event): void {
  try {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const button = target.closest('.expressive-code .copy button');
    if (!button) return;
    track('code_copied', { path: window.location.pathname, language: codeLanguageOf(button) });
  } catch {
    // A broken listener must not stop the copy itself.
  }
}

function canonicalizeUrl(): void {
  const { pathname, search, hash } = window.location;
  const canonical = canonicalPath(pathname);
  if (canonical !== pathname) window.history.replaceState(window.history.state, '', `${canonical}${search}${hash}`);
}

function start(): void {
  try {
    canonicalizeUrl();
  } catch {
    // Keep the URL as it is; tracking still works with it.
  }
  try {
    initTracking();
    const language = document.querySelector(`meta[name="${QUICKSTART_META}"]`)?.getAttribute('content');
    if (language) track('quickstart_started', { language });
    // Capture phase: Expressive Code's own handler runs on the button and must not be able to hide the click.
    document.addEventListener('click', onCopyClick, { capture: true });
  } catch {
    // Tracking never breaks a page.
  }
}

start();
