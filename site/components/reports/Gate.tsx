/** Renders a report only once the session check passed; logged-out visitors are sent to login. */
import type { ReactNode } from 'react';
import { useSessionGate } from './hooks.ts';
import { Loading } from './ui.tsx';

export function Gate({ children }: { children: ReactNode }) {
  const state = useSessionGate();
  return state === 'ok' ? children : <Loading label="Checking your session…" />;
}
