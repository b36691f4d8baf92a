import { type FormEvent, useEffect, useId, useState } from 'react';
import { type Account, currentAccount, portalApi, splitFieldMessage } from './api.ts';

/** Topic values match the server's list; labels are what the developer reads. */
const TOPICS = [
  { value: 'first_call', label: 'My first API call fails' },
  { value: 'api_keys', label: 'API keys' },
  { value: 'errors', label: 'An error code I don’t understand' },
  { value: 'rate_limits', label: 'Rate limits' },
  { value: 'docs', label: 'Something in the docs is wrong or missing' },
  { value: 'account', label: 'My account' },
  { value: 'other', label: 'Something else' },
] as const;

const MESSAGE_MAX = 5000;

/** The page the developer came from: `?from=` or a same-origin referrer, as a path. */
function originPath(): string {
  const from = new URLSearchParams(window.location.search).get('from');
  if (from && /^\/(?![/\\])\S*$/.test(from)) return from.slice(0, 500);
  try {
    const ref = document.referrer ? new URL(document.referrer) : null;
    if (ref && ref.origin === window.location.origin && ref.pathname !== window.location.pathname) return ref.pathname;
  } catch {
    // An unparsable referrer just means we don't know where they came from.
  }
  return '/support/';
}

/** "Contact support": one ticket per submit; the server emits `support_ticket_created` {topic, path}. */
export default function SupportForm() {
  const id = useId();
  const [account, setAccount] = useState<Account | null | undefined>(undefined);
  const [topic, setTopic] = useState<string>('first_call');
  const [message, setMessage] = useState('');
  const [path, setPath] = useState('/support/');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<{ field: string | null; text: string } | null>(null);
  const [ticket, setTicket] = useState<string | null>(null);

  useEffect(() => {
    setPath(originPath());
    void currentAccount().then(setAccount);
  }, []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    if (!message.trim()) {
      setError({ field: 'message', text: 'Tell us what happened: what you tried, and what you saw.' });
      return;
    }
    setPending(true);
    const result = await portalApi<{ ticket: { id: string } }>('/support', { method: 'POST', body: { topic, path, message } });
    setPending(false);
    if (result.ok) {
      setTicket(result.data.ticket.id);
      setMessage('');
    } else {
      setError(
        result.code === 'rate_limited' ? { field: null, text: 'You have sent several requests recently. Try again later.' } : splitFieldMessage(result.message),
      );
    }
  }

  if (account === undefined) return <p className="muted">Loading…</p>;
  if (account === null) {
    return (
      <div className="panel">
        <p style={{ marginTop: 0 }}>Log in so we can answer you and see the calls you made.</p>
        <a className="button" href={`/login/?next=${encodeURIComponent(`/support/?from=${path}`)}`}>
          Log in
        </a>{' '}
        <a className="button ghost" href="/signup/">
          Sign up
        </a>
      </div>
    );
  }
  if (ticket) {
    return (
      <div className="alert success" role="status">
        <p style={{ margin: 0 }}>
          Thanks — we got your request (reference <code>{ticket}</code>) and will reply to <strong>{account.email}</strong>.
        </p>
        <p style={{ margin: '0.5rem 0 0' }}>
          <a href={path === '/support/' ? '/dashboard/' : path}>Back to where you were</a>
        </p>
      </div>
    );
  }

  const topicId = `${id}-topic`;
  const messageId = `${id}-message`;
  const counterId = `${id}-counter`;
  const errorId = `${id}-error`;
  return (
    <form className="panel" onSubmit={submit} noValidate data-testid="support-form">
      {error && (
        <p id={errorId} className="alert error" role="alert">
          {error.text}
        </p>
      )}
      <div className="field">
        <label htmlFor={topicId}>What do you need help with?</label>
        <select id={topicId} name="topic" value={topic} onChange={(e) => setTopic(e.target.value)}>
          {TOPICS.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={messageId}>Message</label>
        <textarea
          id={messageId}
          name="message"
          rows={7}
          maxLength={MESSAGE_MAX}
          value={message}
          onChange={(e) => setMessage(e.target.value)}
          aria-invalid={error?.field === 'message' ? true : undefined}
          aria-describedby={[counterId, error ? errorId : ''].filter(Boolean).join(' ')}
          placeholder="What did you try, what did you expect, and what happened? Paste the error body if you have one (never your key)."
        />
        <p id={counterId} className="help">
          {message.length} / {MESSAGE_MAX} characters. Sent from <code>{path}</code>.
        </p>
      </div>
      <button type="submit" className="button" disabled={pending}>
        {pending ? 'Sending…' : 'Send to support'}
      </button>
    </form>
  );
}
