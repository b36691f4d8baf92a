/** "3 min ago" style times for the dashboard, with the exact time kept for a tooltip. */
export function relativeTime(iso: string, now = Date.now()): string {
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return iso;
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** Badge colour for an HTTP status. */
export function statusTone(status: number): 'ok' | 'warn' | 'err' {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 429 || (status >= 300 && status < 400)) return 'warn';
  return 'err';
}
