import { resetTracking } from '../../tracking/posthog.ts';
import { currentAccount, portalApi } from './api.ts';

/**
 * The signed-in state of a page header, shared by the portal layout and the docs' header links. Markup contract:
 * elements marked `data-when="anonymous"` (log in, sign up) are hidden and `data-when="signed-in"` ones shown once
 * `/api/v1/portal/me` names an account; every `[data-account-email]` gets the email, every `[data-logout]` button
 * logs out. All are queried, because Starlight renders its header links twice (header and mobile menu).
 */
export async function showSignedInAccount(): Promise<void> {
  const account = await currentAccount();
  if (!account) return;
  for (const el of document.querySelectorAll<HTMLElement>('[data-when="anonymous"]')) el.hidden = true;
  for (const el of document.querySelectorAll<HTMLElement>('[data-when="signed-in"]')) el.hidden = false;
  for (const el of document.querySelectorAll<HTMLElement>('[data-account-email]')) {
    el.textContent = account.email;
    el.title = account.email;
  }
}

/** Ends the portal session, forgets the tracked identity, and goes home (anonymous) whatever the server said. */
export async function logOut(): Promise<void> {
  try {
    await portalApi('/logout', { method: 'POST' });
  } finally {
    resetTracking();
    window.location.assign('/');
  }
}

/** Wires the log-out buttons and shows the account; a failed check leaves the anonymous links, still correct. */
export function wireAccountHeader(): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-logout]')) {
    button.addEventListener('click', () => {
      button.disabled = true;
      void logOut();
    });
  }
  showSignedInAccount().catch(() => undefined);
}
