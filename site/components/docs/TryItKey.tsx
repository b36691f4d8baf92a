import { useEffect, useState } from 'react';
import { currentAccount, portalApi } from '../portal/api.ts';

/** Who is reading, as far as the key offer needs to know. */
type Reader = { state: 'checking' } | { state: 'anonymous' } | { state: 'signed-in'; email: string; activeKeys: number };

/** Name the console gives the keys it creates, so the dashboard tells them apart. */
export const CONSOLE_KEY_NAME = 'Try it console';

/**
 * The Try it console's key offer: a signed-in developer creates a test key without leaving the page (as ReadMe's
 * console does), and `onCreated` hands the secret to the console, which keeps it in React state only. Anonymous
 * readers get links to log in or sign up and come back here.
 */
export default function TryItKey({ onCreated, ready }: { onCreated: (secret: string) => void; ready: boolean }) {
  const [reader, setReader] = useState<Reader>({ state: 'checking' });
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);

  useEffect(() => {
    void (async () => {
      const account = await currentAccount();
      if (!account) return setReader({ state: 'anonymous' });
      const keys = await portalApi<{ keys: Array<{ status: string }> }>('/keys');
      const activeKeys = keys.ok ? keys.data.keys.filter((k) => k.status === 'active').length : 0;
      setReader({ state: 'signed-in', email: account.email, activeKeys });
    })();
  }, []);

  async function create() {
    setPending(true);
    setError(null);
    const result = await portalApi<{ key: { prefix: string }; secret: string }>('/keys', { method: 'POST', body: { name: CONSOLE_KEY_NAME } });
    setPending(false);
    if (!result.ok) return setError(result.message);
    setCreated(result.data.key.prefix);
    onCreated(result.data.secret);
  }

  if (reader.state === 'checking') return null;
  const here = encodeURIComponent(`${window.location.pathname}#try-it`);
  if (reader.state === 'anonymous') {
    return (
      <p className="onramp-tryit__help" data-testid="tryit-key-offer">
        No key yet? <a href={`/signup/?next=${here}`}>Sign up</a> or <a href={`/login/?next=${here}`}>log in</a> to create one right here.
      </p>
    );
  }
  return (
    <div className="onramp-tryit__offer" data-testid="tryit-key-offer">
      {created ? (
        <p className="onramp-tryit__help" role="status">
          Created the test key <code>{created}…</code> and filled it in. It is used for this console's calls and forgotten when you leave the page; it is also
          listed in your <a href="/dashboard/">dashboard</a>.
        </p>
      ) : (
        <>
          <p className="onramp-tryit__help">
            {reader.activeKeys === 0
              ? 'You have no API key yet: create a test key here and it is filled in for you.'
              : 'Lost your key? Create another test key here; it is filled in for you.'}
          </p>
          <button type="button" className="onramp-tryit__create" disabled={!ready || pending} onClick={() => void create()}>
            {pending ? 'Creating…' : 'Create a test key'}
          </button>
        </>
      )}
      {error && (
        <p className="onramp-tryit__error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
