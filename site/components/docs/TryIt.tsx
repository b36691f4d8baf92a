import { type FormEvent, useEffect, useId, useState } from 'react';
import TryItKey from './TryItKey.tsx';

/** Path of the sandbox endpoint the console calls, on the same origin as the docs. */
export const TRY_IT_PATH = '/sandbox/v1/messages';

/** Response headers worth showing a developer who is debugging a first call. */
const SHOWN_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after'];

interface Result {
  status: number;
  statusText: string;
  durationMs: number;
  headers: Array<[string, string]>;
  body: string;
  docUrl?: string;
}

/** Pretty-prints a JSON body and picks out the error's `doc_url`; non-JSON bodies are shown as they came. */
function describeBody(text: string): { body: string; docUrl?: string } {
  try {
    const parsed: unknown = JSON.parse(text);
    const docUrl = (parsed as { error?: { doc_url?: unknown } })?.error?.doc_url;
    return { body: JSON.stringify(parsed, null, 2), docUrl: typeof docUrl === 'string' ? docUrl : undefined };
  } catch {
    return { body: text };
  }
}

/**
 * "Try it" console for the first-call page: sends a real `POST /sandbox/v1/messages` with the developer's own
 * key and shows the status, the rate-limit headers and the JSON body, errors included. A signed-in developer can
 * create a key right here (TryItKey). Either key lives only in this component's state; it is never written to
 * localStorage, sessionStorage, a cookie or the URL.
 */
export default function TryIt() {
  const id = useId();
  const [ready, setReady] = useState(false);
  const [apiKey, setApiKey] = useState('');
  const [showKey, setShowKey] = useState(false);
  const [to, setTo] = useState('+15551234567');
  const [body, setBody] = useState('Hello from Onramp!');
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<Result | null>(null);
  const [networkError, setNetworkError] = useState<string | null>(null);

  useEffect(() => setReady(true), []);

  async function send(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setNetworkError(null);
    const started = performance.now();
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      // An empty key is sent without the header on purpose: the console then shows `missing_api_key`.
      const key = apiKey.trim();
      if (key) headers.authorization = `Bearer ${key}`;
      const response = await fetch(TRY_IT_PATH, {
        method: 'POST',
        headers,
        body: JSON.stringify({ to, body }),
        credentials: 'omit',
        cache: 'no-store',
      });
      const text = await response.text();
      const shown = SHOWN_HEADERS.flatMap((name): Array<[string, string]> => {
        const value = response.headers.get(name);
        return value === null ? [] : [[name, value]];
      });
      setResult({
        status: response.status,
        statusText: response.statusText,
        durationMs: Math.round(performance.now() - started),
        headers: shown,
        ...describeBody(text),
      });
    } catch (err) {
      setResult(null);
      setNetworkError(`Could not reach the sandbox: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setPending(false);
    }
  }

  const ok = result !== null && result.status >= 200 && result.status < 300;
  const keyId = `${id}-key`;
  const keyHelpId = `${id}-key-help`;
  const toId = `${id}-to`;
  const bodyId = `${id}-body`;

  return (
    <section id="try-it" className="onramp-tryit not-content" aria-labelledby={`${id}-title`} data-tryit-ready={ready ? 'true' : 'false'}>
      <h3 id={`${id}-title`} className="onramp-tryit__title">
        Try it: <code>POST {TRY_IT_PATH}</code>
      </h3>
      <form onSubmit={send}>
        <label htmlFor={keyId}>Secret key</label>
        <div className="onramp-tryit__key">
          <input
            id={keyId}
            type={showKey ? 'text' : 'password'}
            autoComplete="off"
            spellCheck={false}
            placeholder="onr_test_..."
            aria-describedby={keyHelpId}
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
          />
          <button type="button" disabled={!ready} aria-pressed={showKey} onClick={() => setShowKey((v) => !v)}>
            {showKey ? 'Hide' : 'Show'}
          </button>
        </div>
        <p id={keyHelpId} className="onramp-tryit__help">
          Paste a test key from your <a href="/dashboard">dashboard</a>. It stays in this tab and is not saved.
        </p>
        <TryItKey ready={ready} onCreated={setApiKey} />
        <label htmlFor={toId}>to</label>
        <input id={toId} type="text" inputMode="tel" autoComplete="off" value={to} onChange={(e) => setTo(e.target.value)} />
        <label htmlFor={bodyId}>body</label>
        <textarea id={bodyId} rows={2} value={body} onChange={(e) => setBody(e.target.value)} />
        <button type="submit" className="onramp-tryit__send" disabled={!ready || pending}>
          {pending ? 'Sending…' : 'Send request'}
        </button>
      </form>

      <div className="onramp-tryit__result" aria-live="polite">
        {networkError && <p className="onramp-tryit__error">{networkError}</p>}
        {result && (
          <>
            <p className={ok ? 'onramp-tryit__status onramp-tryit__status--ok' : 'onramp-tryit__status onramp-tryit__status--error'}>
              <strong data-testid="tryit-status">{result.status}</strong> {result.statusText}{' '}
              <span className="onramp-tryit__duration">in {result.durationMs} ms</span>
            </p>
            {result.headers.length > 0 && (
              <ul className="onramp-tryit__headers" aria-label="Response headers">
                {result.headers.map(([name, value]) => (
                  <li key={name}>
                    <code>
                      {name}: {value}
                    </code>
                  </li>
                ))}
              </ul>
            )}
            <pre className="onramp-tryit__body" data-testid="tryit-response" tabIndex={0} role="region" aria-label="Response body">
              {result.body}
            </pre>
            {ok && (
              <p>
                It worked. The call is in your <a href="/dashboard">dashboard</a>; next, try a <a href="/quickstarts/">quickstart</a> to make the same call from
                code.
              </p>
            )}
            {result.docUrl && (
              <p>
                How to fix it: <a href={result.docUrl}>{result.docUrl}</a>
              </p>
            )}
          </>
        )}
      </div>
    </section>
  );
}
