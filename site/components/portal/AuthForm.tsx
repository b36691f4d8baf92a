import { type FormEvent, useEffect, useId, useState } from 'react';
import { identify } from '../../tracking/posthog.ts';
import { type Account, currentAccount, portalApi, safeNext, splitFieldMessage } from './api.ts';
import { captureSent } from './handoff.ts';

const MIN_PASSWORD = 10;

/**
 * Sign-up and log-in form. After success it calls `identify(account.id)` so this browser's anonymous reading
 * (docs, quickstarts) joins the developer's person, then goes to the dashboard (or `?next=`).
 */
export default function AuthForm({ mode }: { mode: 'signup' | 'login' }) {
  const id = useId();
  const [ready, setReady] = useState(false);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [showPassword, setShowPassword] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<{ field: string | null; text: string; code: string } | null>(null);

  const [signedIn, setSignedIn] = useState<Account | null>(null);

  useEffect(() => {
    setReady(true);
    void currentAccount().then(setSignedIn);
  }, []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    if (mode === 'signup' && password.length < MIN_PASSWORD) {
      setError({
        field: 'password',
        code: 'weak_password',
        text: `Use at least ${MIN_PASSWORD} characters. A short phrase is easy to remember and hard to guess.`,
      });
      return;
    }
    setPending(true);
    const result = await portalApi<{ account: Account }>(`/${mode}`, { method: 'POST', body: { email, password } });
    if (result.ok) {
      const identifiedAt = performance.now();
      identify(result.data.account.id);
      await captureSent(identifiedAt);
      window.location.assign(safeNext(window.location.search));
      return;
    }
    setPending(false);
    if (result.code === 'email_taken') {
      setError({ field: 'email', code: result.code, text: 'An account with this email already exists.' });
    } else if (result.code === 'invalid_credentials') {
      setError({ field: null, code: result.code, text: 'That email and password do not match an account.' });
    } else if (result.code === 'account_locked' || result.code === 'rate_limited') {
      const minutes = result.retryAfter ? Math.ceil(result.retryAfter / 60) : null;
      setError({
        field: null,
        code: result.code,
        text: `Too many attempts. ${minutes ? `Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` : 'Try again later.'}`,
      });
    } else {
      setError({ ...splitFieldMessage(result.message), code: result.code });
    }
  }

  const emailId = `${id}-email`;
  const passwordId = `${id}-password`;
  const passwordHelpId = `${id}-password-help`;
  const errorId = `${id}-error`;
  const invalid = (field: string) => (error && (error.field === field || (error.field === null && error.code === 'invalid_credentials')) ? true : undefined);
  const describedBy = (...ids: Array<string | false>) => ids.filter(Boolean).join(' ') || undefined;

  return (
    <form className="panel" onSubmit={submit} noValidate data-auth-form={mode} data-ready={ready ? 'true' : 'false'}>
      {signedIn && (
        <p className="alert info">
          You are signed in as <strong>{signedIn.email}</strong>. <a href="/dashboard/">Go to your dashboard</a>
        </p>
      )}
      {error && (
        <div id={errorId} className="alert error" role="alert">
          {error.text}
          {error.code === 'email_taken' && (
            <>
              {' '}
              <a href="/login/">Log in instead</a>
            </>
          )}
        </div>
      )}
      <div className="field">
        <label htmlFor={emailId}>Email</label>
        <input
          id={emailId}
          name="email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          aria-invalid={invalid('email')}
          aria-describedby={describedBy(Boolean(error) && errorId)}
        />
      </div>
      <div className="field">
        <label htmlFor={passwordId}>Password</label>
        <div className="row">
          <input
            id={passwordId}
            name="password"
            type={showPassword ? 'text' : 'password'}
            autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
            required
            minLength={mode === 'signup' ? MIN_PASSWORD : undefined}
            style={{ flex: '1 1 12rem' }}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={invalid('password')}
            aria-describedby={describedBy(mode === 'signup' && passwordHelpId, Boolean(error) && errorId)}
          />
          <button
            type="button"
            className="button ghost small"
            aria-pressed={showPassword}
            aria-controls={passwordId}
            onClick={() => setShowPassword((v) => !v)}
          >
            {showPassword ? 'Hide' : 'Show'}
          </button>
        </div>
        {mode === 'signup' && (
          <p id={passwordHelpId} className="help">
            At least {MIN_PASSWORD} characters.
          </p>
        )}
      </div>
      <button type="submit" className="button" disabled={!ready || pending} style={{ width: '100%' }}>
        {pending ? (mode === 'signup' ? 'Creating your account…' : 'Logging in…') : mode === 'signup' ? 'Create account' : 'Log in'}
      </button>
    </form>
  );
}
