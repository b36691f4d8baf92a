/** A URL path set as code that wraps between its segments, never inside one. */
import { Fragment } from 'react';

/**
 * `path` as code that may wrap only before a slash (`/sandbox` `/v1` `/messages`), so a narrow table column shows
 * whole segments instead of breaking a word anywhere. The text (copy, search, tests) stays the path itself.
 *
 * @example
 * <PathCode path="/sandbox/v1/messages/:id" />
 */
export function PathCode({ path }: { path: string }) {
  const segments = path.split(/(?=\/)/);
  let offset = 0;
  return (
    <code>
      {segments.map((segment) => {
        const at = offset;
        offset += segment.length;
        return (
          <Fragment key={at}>
            {at > 0 ? <wbr /> : null}
            {segment}
          </Fragment>
        );
      })}
    </code>
  );
}
