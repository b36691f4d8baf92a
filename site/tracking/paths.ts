/**
 * The canonical form of a page path, as Astro emits it: trailing slash, no `index.html`. The server also answers
 * `/docs/errors` and `/docs/errors/index.html`; without this each spelling would be a separate page in the reports.
 */
export function canonicalPath(pathname: string): string {
  const withoutIndex = pathname.replace(/\/index\.html$/, '/');
  return withoutIndex.endsWith('/') ? withoutIndex : `${withoutIndex}/`;
}
