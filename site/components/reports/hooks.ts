/** React hooks shared by the report islands: URL-backed controls, guarded data loading. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { getJson, hasSession, loginHref, ReportApiError } from './api.ts';
import { parseQuery, type ReportQuery, resolveRange, toSearch } from './query.ts';

/** Keys each page may add to the URL besides the shared controls. */
export type Extras = Record<string, string | null | undefined>;

/**
 * Report controls backed by the URL: reading parses `location.search`, every change pushes a new history entry
 * (so Back undoes it) and the link is shareable. `now` is frozen per view so every chart on the page asks the
 * API for the very same instants; `refresh()` moves it forward.
 */
export function useUrlQuery(extraKeys: readonly string[] = []) {
  const [search, setSearch] = useState(() => location.search);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const onPop = () => setSearch(location.search);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const query = useMemo(() => parseQuery(search), [search]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: extraKeys is a constant per page.
  const extras = useMemo(() => {
    const params = new URLSearchParams(search);
    return Object.fromEntries(extraKeys.map((k) => [k, params.get(k) ?? ''])) as Record<string, string>;
  }, [search]);
  const range = useMemo(() => resolveRange(query, now), [query, now]);

  useEffect(() => syncNavLinks(query), [query]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: extraKeys is a constant per page.
  const update = useCallback((next: Partial<ReportQuery>, nextExtras: Extras = {}) => {
    const merged = { ...parseQuery(location.search), ...next };
    const params = new URLSearchParams(location.search);
    const keep: Extras = Object.fromEntries(extraKeys.map((k) => [k, params.get(k)]));
    const target = `${location.pathname}${toSearch(merged, { ...keep, ...nextExtras })}`;
    if (target !== `${location.pathname}${location.search}`) history.pushState(null, '', target);
    setSearch(location.search);
  }, []);
  const refresh = useCallback(() => setNow(Date.now()), []);
  return { query, extras, range, update, refresh };
}

/** Carries the date range to the other report pages' nav links, so switching pages keeps the period. */
function syncNavLinks(q: ReportQuery) {
  const rangeOnly = toSearch({ ...parseQuery(''), range: q.range, from: q.from, to: q.to });
  for (const link of document.querySelectorAll<HTMLAnchorElement>('a[data-report-nav]')) {
    link.href = `${link.pathname}${rangeOnly}`;
  }
}

export type Loadable<T> =
  | { status: 'loading'; data?: undefined; error?: undefined }
  | { status: 'error'; data?: undefined; error: string }
  | { status: 'ready'; data: T; error?: undefined };

/**
 * Loads one API resource, re-fetching when the key changes and aborting the stale request so a slow old answer
 * never overwrites a newer one.
 */
export function useApi<T>(path: string | null, params: Record<string, string>): Loadable<T> & { reload: () => void } {
  const [state, setState] = useState<Loadable<T>>({ status: 'loading' });
  const [nonce, setNonce] = useState(0);
  const key = path ? `${path}?${new URLSearchParams(params).toString()}` : null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: key captures path and params.
  useEffect(() => {
    if (!path) return;
    const controller = new AbortController();
    setState({ status: 'loading' });
    getJson<T>(path, params, controller.signal).then(
      (data) => setState({ status: 'ready', data }),
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setState({ status: 'error', error: err instanceof ReportApiError ? err.message : 'Something went wrong loading this report.' });
      },
    );
    return () => controller.abort();
  }, [key, nonce]);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { ...state, reload };
}

/**
 * Gate for every report island: checks the session once (a 200 either way, so no console error) and sends a
 * logged-out visitor to the login page with a way back.
 */
export function useSessionGate(): 'checking' | 'ok' {
  const [state, setState] = useState<'checking' | 'ok'>('checking');
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    hasSession().then(
      (ok) => (ok ? setState('ok') : location.replace(loginHref())),
      () => location.replace(loginHref()),
    );
  }, []);
  return state;
}

/** True below 600 px wide: charts switch to short axis labels so bars keep their room on a phone. */
export function useNarrow(): boolean {
  const query = '(max-width: 600px)';
  const [narrow, setNarrow] = useState(() => matchMedia(query).matches);
  useEffect(() => {
    const list = matchMedia(query);
    const onChange = () => setNarrow(list.matches);
    list.addEventListener('change', onChange);
    return () => list.removeEventListener('change', onChange);
  }, []);
  return narrow;
}
