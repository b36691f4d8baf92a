/** Header logout: ends the server session, then shows the login page. */
import { useState } from 'react';
import { logOut } from './api.ts';

export default function LogoutButton() {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      className="logout"
      disabled={busy}
      onClick={() => {
        setBusy(true);
        logOut().finally(() => location.assign('/reports/login/'));
      }}
    >
      {busy ? 'Logging out…' : 'Log out'}
    </button>
  );
}
