import { useId } from 'react';
import type { CallView } from '../../../api/portal/calls.ts';
import { relativeTime, statusTone } from './format.ts';

/** A recorded sandbox call as `/api/v1/portal/calls` returns it (the API's own type, imported for types only). */
export type Call = CallView;

/** Recent sandbox calls with status and error code, each error linked to its fix in the docs. */
export default function CallsPanel({ calls, onRefresh, refreshing }: { calls: Call[]; onRefresh: () => void; refreshing: boolean }) {
  const id = useId();
  const succeeded = calls.some((c) => c.status >= 200 && c.status < 300);
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <div className="row" style={{ justifyContent: 'space-between', alignItems: 'center', marginBottom: '0.5rem' }}>
        <h2 id={`${id}-title`} style={{ margin: 0 }}>
          Recent sandbox calls
        </h2>
        <button type="button" className="button ghost small" onClick={onRefresh} disabled={refreshing}>
          {refreshing ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      {calls.length === 0 ? (
        <p className="muted">
          No calls yet. Send one from the <a href="/docs/first-call/">Try it console</a> or follow a <a href="/quickstarts/">quickstart</a>; it shows up here,
          with the error code if something went wrong.
        </p>
      ) : (
        <>
          {!succeeded && <p className="alert info">No successful call yet. Each error code below links to what it means and how to fix it.</p>}
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Your recent sandbox calls">
            <table data-testid="calls-table">
              <caption className="sr-only">Your most recent sandbox calls, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Request</th>
                  <th scope="col">Status</th>
                  <th scope="col">Error code</th>
                  <th scope="col">Key</th>
                  <th scope="col">Duration</th>
                </tr>
              </thead>
              <tbody>
                {calls.map((call) => (
                  <tr key={call.id} data-status={call.status}>
                    <td title={call.created_at}>{relativeTime(call.created_at)}</td>
                    <td>
                      <code>
                        {call.method} {call.endpoint}
                      </code>
                    </td>
                    <td>
                      <span className={`badge ${statusTone(call.status)}`}>{call.status}</span>
                    </td>
                    <td>{call.error_code ? <a href={`/docs/errors/#${call.error_code}`}>{call.error_code}</a> : <span className="muted">—</span>}</td>
                    <td>
                      {call.key_prefix ? <code>{call.key_prefix}…</code> : <span className="muted">none</span>}
                      {/* The prefix is yours but the secret was wrong: a typo, or someone else using your prefix. */}
                      {!call.key_verified && (
                        <>
                          {' '}
                          <span
                            className="badge warn"
                            data-testid="mistyped-key"
                            title="Made with your key's public prefix but a wrong secret, so it was refused. If you did not make it, someone else used your prefix."
                          >
                            mistyped key
                          </span>
                        </>
                      )}
                    </td>
                    <td>{Math.round(call.duration_ms)} ms</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
