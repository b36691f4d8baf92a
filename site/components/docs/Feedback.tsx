import { type FormEvent, useEffect, useId, useState } from 'react';
import { FEEDBACK_COMMENT_MAX, FEEDBACK_REASONS } from '../../tracking/events.ts';
import { track } from '../../tracking/posthog.ts';

type Vote = 'yes' | 'no';

/** Key under which this browser remembers its vote for a page, so a returning reader sees it (not sensitive). */
const storageKey = (path: string) => `onramp_feedback:${path}`;

function rememberedVote(): Vote | null {
  try {
    const value = window.localStorage.getItem(storageKey(window.location.pathname));
    return value === 'yes' || value === 'no' ? value : null;
  } catch {
    return null;
  }
}

function rememberVote(vote: Vote): void {
  try {
    window.localStorage.setItem(storageKey(window.location.pathname), vote);
  } catch {
    // Storage can be full or blocked; the vote was still sent.
  }
}

/** Inline icon, so the buttons don't depend on an emoji font being installed. */
function Thumb({ up }: { up: boolean }) {
  return (
    <svg className="onramp-feedback__icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
      <path
        transform={up ? undefined : 'rotate(180 12 12)'}
        fill="currentColor"
        d="M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6c-.4.4-.6.9-.6 1.4v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z"
      />
    </svg>
  );
}

/**
 * "Was this page helpful?" at the foot of every doc and quickstart page.
 *
 * The vote is sent as `doc_feedback` the moment it is clicked, so it counts even if the reader never fills in
 * the follow-up; the optional reason and comment are sent as a second `doc_feedback` carrying the same vote.
 * A reader may change their mind: the reports keep one person's latest vote per page.
 */
export default function Feedback() {
  const id = useId();
  // Server-rendered buttons stay disabled until React has hydrated, so an early click is never silently lost.
  const [ready, setReady] = useState(false);
  const [vote, setVote] = useState<Vote | null>(null);
  const [reason, setReason] = useState('');
  const [comment, setComment] = useState('');
  const [sent, setSent] = useState(false);
  const [returning, setReturning] = useState(false);

  useEffect(() => {
    const previous = rememberedVote();
    if (previous) {
      setVote(previous);
      setReturning(true);
    }
    setReady(true);
  }, []);

  function choose(next: Vote) {
    setVote(next);
    setSent(false);
    setReturning(false);
    rememberVote(next);
    if (next === 'yes') setReason('');
    track('doc_feedback', { helpful: next === 'yes', path: window.location.pathname });
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!vote) return;
    const text = comment.trim().slice(0, FEEDBACK_COMMENT_MAX);
    const properties: Record<string, unknown> = { helpful: vote === 'yes', path: window.location.pathname };
    if (vote === 'no' && reason) properties.reason = reason;
    if (text) properties.comment = text;
    track('doc_feedback', properties);
    setSent(true);
  }

  const titleId = `${id}-title`;
  const commentId = `${id}-comment`;
  const counterId = `${id}-counter`;

  return (
    <section className="onramp-feedback not-content" aria-labelledby={titleId} data-feedback-ready={ready ? 'true' : 'false'}>
      <h2 id={titleId} className="onramp-feedback__title">
        Was this page helpful?
      </h2>
      <div className="onramp-feedback__votes" role="group" aria-labelledby={titleId}>
        <button type="button" disabled={!ready} aria-pressed={vote === 'yes'} onClick={() => choose('yes')}>
          <Thumb up /> Yes
        </button>
        <button type="button" disabled={!ready} aria-pressed={vote === 'no'} onClick={() => choose('no')}>
          <Thumb up={false} /> No
        </button>
      </div>

      {returning && (
        <p className="onramp-feedback__thanks" role="status">
          You already rated this page. Changed your mind? Pick again.
        </p>
      )}

      {vote && !sent && !returning && (
        <form className="onramp-feedback__form" onSubmit={submit}>
          <p className="onramp-feedback__thanks" role="status">
            Thanks, your vote is recorded. You can change it at any time.
          </p>
          {vote === 'no' && (
            <fieldset>
              <legend>What went wrong? (optional)</legend>
              {FEEDBACK_REASONS.map((option) => (
                <label key={option.value}>
                  <input type="radio" name={`${id}-reason`} value={option.value} checked={reason === option.value} onChange={() => setReason(option.value)} />{' '}
                  {option.label}
                </label>
              ))}
            </fieldset>
          )}
          <label htmlFor={commentId}>{vote === 'no' ? 'How can we improve this page? (optional)' : 'Anything we could do better? (optional)'}</label>
          <textarea
            id={commentId}
            rows={3}
            maxLength={FEEDBACK_COMMENT_MAX}
            value={comment}
            aria-describedby={counterId}
            onChange={(e) => setComment(e.target.value.slice(0, FEEDBACK_COMMENT_MAX))}
          />
          <p id={counterId} className="onramp-feedback__counter">
            {comment.length} / {FEEDBACK_COMMENT_MAX} characters
          </p>
          <button type="submit" className="onramp-feedback__send">
            Send feedback
          </button>
        </form>
      )}

      {sent && (
        <p className="onramp-feedback__thanks" role="status">
          Thank you! Your feedback helps us fix this page.
        </p>
      )}
    </section>
  );
}
