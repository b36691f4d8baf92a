/**
 * Login island: the admin token is posted once in a JSON body and exchanged for an HttpOnly cookie. It is never
 * put in the URL, localStorage or any other script-readable place, and the field is cleared after sending.
 */
import { type FormEvent, useEffect, useId, useState } from 'react';
import { hasSession, logIn, ReportApiError } from './api.ts';
import { safeNext } from './query.ts';

export default function LoginForm() {
  const inputId = useId();
  const errorId = useId();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(new URLSearchParams(location.search).get('next'));

  useEffect(() => {
    hasSession().then(
      (ok) => ok && location.replace(next),
      () => undefined,
    );
  }, [next]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await logIn(token.trim());
      setToken('');
      location.assign(next);
    } catch (err) {
      setError(err instanceof ReportApiError ? err.message : 'Could not reach the Onramp server.');
      setBusy(false);
    }
  };

  return (
    <form className="login-form" onSubmit={submit} noValidate>
      <label htmlFor={inputId} className="control-label">
        Admin token
      </label>
      <input
        id={inputId}
        name="admin-token"
        type="password"
        autoComplete="off"
        spellCheck={false}
        required
        value={token}
        onChange={(e) => setToken(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        // biome-ignore lint/a11y/noAutofocus: the sign-in page has one field, and typing the token is all it is for.
        autoFocus
      />
      {error ? (
        <p id={errorId} className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <button type="submit" className="button" disabled={busy || token.trim() === ''}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      <p className="muted small">
        The token was printed when the server started (or set as <code>ONRAMP_ADMIN_TOKEN</code>). It is exchanged for a session cookie that lasts 12 hours.
      </p>
    </form>
  );
}
