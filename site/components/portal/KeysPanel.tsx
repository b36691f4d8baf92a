import { type FormEvent, useId, useRef, useState } from 'react';
import type { KeyView } from '../../../api/portal/keys.ts';
import { portalApi, splitFieldMessage } from './api.ts';
import { relativeTime } from './format.ts';

/** A key as `/api/v1/portal/keys` lists it, never with its secret (the API's own type, imported for types only). */
export type ApiKey = KeyView;

/** The one-time secret panel: the only place the full key is ever shown. */
function NewSecret({ name, secret, onDone }: { name: string; secret: string; onDone: () => void }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'yes' | 'select' | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      // No clipboard permission (e.g. an insecure origin): select the text so Ctrl+C works.
      input.current?.select();
      setCopied('select');
    }
  }

  return (
    <div className="alert success" role="status" aria-labelledby={`${id}-title`} data-testid="new-secret">
      <p id={`${id}-title`} style={{ margin: '0 0 0.5rem', fontWeight: 600 }}>
        Your new key “{name}” — copy it now. You won’t be able to see it again.
      </p>
      <div className="row">
        <div className="field">
          <label htmlFor={`${id}-secret`} className="fine">
            Secret key
          </label>
          <input
            id={`${id}-secret`}
            ref={input}
            className="mono"
            readOnly
            value={secret}
            data-testid="secret-value"
            onFocus={(e) => e.currentTarget.select()}
          />
        </div>
        <button type="button" className="button" onClick={() => void copy()}>
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </button>
        <button type="button" className="button ghost" onClick={onDone}>
          Done
        </button>
      </div>
      <p className="fine" style={{ margin: '0.5rem 0 0' }} aria-live="polite">
        {copied === 'yes' && 'Copied to the clipboard. '}
        {copied === 'select' && 'Selected — press Ctrl+C (⌘C) to copy. '}
        Next: paste it into the <a href="/docs/first-call/">Try it console</a> or a <a href="/quickstarts/">quickstart</a>.
      </p>
    </div>
  );
}

/** Create, name, list and revoke API keys. */
export default function KeysPanel({ keys, onChange }: { keys: ApiKey[]; onChange: () => Promise<void> }) {
  const id = useId();
  const [name, setName] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    const trimmed = name.trim();
    if (!trimmed) {
      setError('Give the key a name, e.g. “laptop” or “staging server”, so you can tell your keys apart.');
      return;
    }
    setPending(true);
    const result = await portalApi<{ key: ApiKey; secret: string }>('/keys', { method: 'POST', body: { name: trimmed } });
    setPending(false);
    if (!result.ok) {
      setError(result.code === 'rate_limited' ? 'You have created many keys recently. Try again later.' : splitFieldMessage(result.message).text);
      return;
    }
    setCreated({ name: result.data.key.name, secret: result.data.secret });
    setName('');
    await onChange();
  }

  async function revoke(key: ApiKey) {
    setConfirming(null);
    const result = await portalApi<{ key: ApiKey }>(`/keys/${encodeURIComponent(key.id)}`, { method: 'DELETE' });
    if (!result.ok) setError(splitFieldMessage(result.message).text);
    await onChange();
  }

  const nameId = `${id}-name`;
  const errorId = `${id}-error`;
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>API keys</h2>
      <p className="muted">
        Test keys (<code>onr_test_…</code>) call the free sandbox. Only a hash is stored, so a key’s secret is shown once, when you create it.
      </p>
      {created && <NewSecret name={created.name} secret={created.secret} onDone={() => setCreated(null)} />}
      <form onSubmit={create} noValidate className="row" style={{ marginBottom: '1.25rem' }}>
        <div className="field">
          <label htmlFor={nameId}>Key name</label>
          <input
            id={nameId}
            name="name"
            maxLength={100}
            placeholder="e.g. laptop"
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? errorId : undefined}
          />
        </div>
        <button type="submit" className="button" disabled={pending}>
          {pending ? 'Creating…' : 'Create key'}
        </button>
      </form>
      {error && (
        <p id={errorId} className="alert error" role="alert">
          {error}
        </p>
      )}
      {keys.length === 0 ? (
        <p className="muted">No keys yet. Create one to make your first call.</p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Your API keys">
          <table data-testid="keys-table">
            <caption className="sr-only">Your API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.id} data-key-prefix={key.prefix}>
                  <td>{key.name}</td>
                  <td>
                    <code>{key.prefix}…</code>
                  </td>
                  <td title={key.created_at}>{relativeTime(key.created_at)}</td>
                  <td title={key.last_used_at ?? undefined}>{key.last_used_at ? relativeTime(key.last_used_at) : 'Never'}</td>
                  <td>
                    <span className={`badge ${key.status === 'active' ? 'ok' : 'neutral'}`}>{key.status === 'active' ? 'Active' : 'Revoked'}</span>
                  </td>
                  <td style={{ textAlign: 'right', whiteSpace: 'nowrap' }}>
                    {key.status === 'active' &&
                      (confirming === key.id ? (
                        <>
                          <button type="button" className="button danger small" onClick={() => void revoke(key)}>
                            Revoke “{key.name}”
                          </button>{' '}
                          <button type="button" className="button ghost small" onClick={() => setConfirming(null)}>
                            Cancel
                          </button>
                        </>
                      ) : (
                        <button type="button" className="button ghost small" onClick={() => setConfirming(key.id)} aria-label={`Revoke key ${key.name}`}>
                          Revoke
                        </button>
                      ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
