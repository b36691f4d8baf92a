import { useCallback, useEffect, useState } from 'react';
import { identify } from '../../tracking/posthog.ts';
import { type Account, currentAccount, portalApi } from './api.ts';
import CallsPanel, { type Call } from './CallsPanel.tsx';
import KeysPanel, { type ApiKey } from './KeysPanel.tsx';

/** Calls refresh on their own while the tab is visible, so a call made elsewhere shows up without a reload. */
const REFRESH_MS = 10_000;

/** The developer dashboard: API keys and recent sandbox calls. Sends anonymous visitors to the log-in page. */
export default function Dashboard() {
  const [account, setAccount] = useState<Account | null | undefined>(undefined);
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [calls, setCalls] = useState<Call[]>([]);
  const [refreshing, setRefreshing] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);

  const loadKeys = useCallback(async () => {
    const result = await portalApi<{ keys: ApiKey[] }>('/keys');
    if (result.ok) setKeys(result.data.keys);
    else setLoadError(result.message);
  }, []);

  const loadCalls = useCallback(async () => {
    setRefreshing(true);
    const result = await portalApi<{ calls: Call[] }>('/calls?limit=25');
    setRefreshing(false);
    if (result.ok) setCalls(result.data.calls);
  }, []);

  useEffect(() => {
    void (async () => {
      const me = await currentAccount();
      if (!me) {
        window.location.replace(`/login/?next=${encodeURIComponent('/dashboard/')}`);
        return;
      }
      // Same id the server uses for signed_up and api_call; a no-op when this browser already identified.
      identify(me.id);
      setAccount(me);
      await Promise.all([loadKeys(), loadCalls()]);
    })();
  }, [loadKeys, loadCalls]);

  useEffect(() => {
    if (!account) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') void loadCalls();
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [account, loadCalls]);

  if (account === undefined) {
    return (
      <p className="muted" aria-live="polite">
        Loading your dashboard…
      </p>
    );
  }
  if (account === null) return null;

  return (
    <div data-testid="dashboard" data-account-id={account.id}>
      <p className="lede">
        Signed in as <strong>{account.email}</strong>. Stuck? <a href="/support/?from=/dashboard/">Contact support</a>.
      </p>
      {loadError && (
        <p className="alert error" role="alert">
          {loadError}
        </p>
      )}
      <KeysPanel keys={keys} onChange={loadKeys} />
      <CallsPanel calls={calls} refreshing={refreshing} onRefresh={() => void Promise.all([loadCalls(), loadKeys()])} />
    </div>
  );
}
