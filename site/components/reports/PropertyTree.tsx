/**
 * Event properties as a readable tree: one line per key, nested objects and arrays as collapsible branches. Every
 * key and value is rendered as React text, so whatever a client sent stays inert.
 */
import type { ReactNode } from 'react';

/** Branches deeper than this start closed, so a large payload opens to its first level only. */
const OPEN_DEPTH = 1;

function isBranch(value: unknown): value is Record<string, unknown> | unknown[] {
  return value !== null && typeof value === 'object';
}

function leafText(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

function entriesOf(value: Record<string, unknown> | unknown[]): Array<[string, unknown]> {
  return Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
}

function Branch({ value, depth }: { value: Record<string, unknown> | unknown[]; depth: number }): ReactNode {
  const entries = entriesOf(value);
  if (entries.length === 0) return <span className="prop-value">{Array.isArray(value) ? '[]' : '{}'}</span>;
  return (
    <ul>
      {entries.map(([key, child]) => (
        <li key={key}>
          {isBranch(child) ? (
            <details open={depth < OPEN_DEPTH}>
              <summary>
                <span className="prop-key">{key}</span>{' '}
                <span className="muted">{Array.isArray(child) ? `[${child.length}]` : `{${Object.keys(child).length}}`}</span>
              </summary>
              <Branch value={child} depth={depth + 1} />
            </details>
          ) : (
            <>
              <span className="prop-key">{key}</span>: <span className="prop-value">{leafText(child)}</span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

/** A collapsible tree of `properties` (an object). */
export function PropertyTree({ properties }: { properties: Record<string, unknown> }) {
  return (
    <div className="prop-tree" data-testid="property-tree">
      <Branch value={properties} depth={1} />
    </div>
  );
}
