/** Live events island: the newest events, filtered by event name and person — "did my instrumentation work?". */
import { type FormEvent, useEffect, useId, useState } from 'react';
import type { EventsResponse } from '../../../api/analytics/contract.ts';
import { getJson, ReportApiError } from './api.ts';
import { type EventRow, eventRows, eventsQuery, personHref } from './events-shape.ts';
import { formatUtcSeconds } from './format.ts';
import { Gate } from './Gate.tsx';
import { PropertyTree } from './PropertyTree.tsx';
import { KNOWN_EVENTS } from './query.ts';
import { Card, CsvButton, EmptyState, ErrorMessage, Loading } from './ui.tsx';

const PAGE_SIZE = 50;
const AUTO_REFRESH_MS = 5000;

const CSV_COLUMNS = [
  { header: 'timestamp', value: (r: EventRow) => r.timestamp },
  { header: 'event', value: (r: EventRow) => r.event },
  { header: 'distinct_id', value: (r: EventRow) => r.distinctId },
  { header: 'person_id', value: (r: EventRow) => r.personId },
  { header: 'email', value: (r: EventRow) => r.personEmail },
  { header: 'context', value: (r: EventRow) => r.context },
  { header: 'properties', value: (r: EventRow) => r.properties },
];

function readFilters() {
  const params = new URLSearchParams(location.search);
  return { event: params.get('event') ?? '', distinctId: params.get('distinct_id') ?? '' };
}

function EventsBody() {
  const eventId = useId();
  const personId = useId();
  const listId = useId();
  const [filters, setFilters] = useState(readFilters);
  const [draft, setDraft] = useState(filters);
  const [rows, setRows] = useState<EventRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const [auto, setAuto] = useState(false);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const onPop = () => {
      const f = readFilters();
      setFilters(f);
      setDraft(f);
    };
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: each tick of the refresh timer reloads the events.
  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    getJson<EventsResponse>('/api/v1/events', eventsQuery({ ...filters, limit: PAGE_SIZE }), controller.signal).then(
      (res) => {
        setRows(eventRows(res.events));
        setMore(res.events.length === PAGE_SIZE);
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setError(err instanceof ReportApiError ? err.message : 'Could not load events.');
      },
    );
    return () => controller.abort();
  }, [filters, tick]);

  useEffect(() => {
    if (!auto) return;
    const timer = setInterval(() => setTick((t) => t + 1), AUTO_REFRESH_MS);
    return () => clearInterval(timer);
  }, [auto]);

  const apply = (next: { event: string; distinctId: string }) => {
    const params = new URLSearchParams();
    if (next.event.trim()) params.set('event', next.event.trim());
    if (next.distinctId.trim()) params.set('distinct_id', next.distinctId.trim());
    const search = params.toString();
    history.pushState(null, '', `${location.pathname}${search ? `?${search}` : ''}`);
    setFilters(next);
    setDraft(next);
    setRows(null);
  };

  const loadOlder = async () => {
    const last = rows?.[rows.length - 1];
    if (!last) return;
    try {
      const res = await getJson<EventsResponse>('/api/v1/events', eventsQuery({ ...filters, limit: PAGE_SIZE, before: last.timestamp }));
      setRows([...(rows ?? []), ...eventRows(res.events)]);
      setMore(res.events.length === PAGE_SIZE);
    } catch (err) {
      setError(err instanceof ReportApiError ? err.message : 'Could not load older events.');
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply(draft);
  };

  return (
    <>
      <form className="controls-panel" onSubmit={submit} aria-label="Event filters">
        <div className="control-row">
          <label htmlFor={eventId}>
            <span className="control-label">Event</span>
            <input
              id={eventId}
              list={listId}
              value={draft.event}
              placeholder="any event"
              maxLength={200}
              onChange={(e) => setDraft({ ...draft, event: e.target.value })}
            />
          </label>
          <datalist id={listId}>
            {KNOWN_EVENTS.filter((e) => e !== 'first_successful_call').map((e) => (
              <option key={e} value={e} />
            ))}
          </datalist>
          <label htmlFor={personId}>
            <span className="control-label">Person (distinct id)</span>
            <input
              id={personId}
              value={draft.distinctId}
              placeholder="any person"
              maxLength={200}
              onChange={(e) => setDraft({ ...draft, distinctId: e.target.value })}
            />
          </label>
          <button type="submit" className="button button-small">
            Apply filters
          </button>
          {filters.event || filters.distinctId ? (
            <button type="button" className="button button-small button-quiet" onClick={() => apply({ event: '', distinctId: '' })}>
              Clear
            </button>
          ) : null}
          <label className="checkbox">
            <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} />
            Refresh every 5 s
          </label>
          <button type="button" className="button button-small button-quiet" onClick={() => setTick((t) => t + 1)}>
            Refresh now
          </button>
        </div>
      </form>
      {error ? <ErrorMessage message={error} onRetry={() => setTick((t) => t + 1)} /> : null}
      {!rows && !error ? <Loading label="Loading events…" /> : null}
      {rows && rows.length === 0 ? (
        <EmptyState title="No events match.">
          {filters.event || filters.distinctId
            ? 'Nothing with these filters yet. Check the event name and the distinct id your code sends.'
            : 'No events received yet. Point posthog-js or posthog-node at this server and send one.'}
        </EmptyState>
      ) : null}
      {rows && rows.length > 0 ? (
        <Card
          title="Newest events"
          description="Every accepted event, newest first by event time. A distinct id selects the whole person, including anonymous events merged into it."
          actions={<CsvButton name="events" columns={CSV_COLUMNS} rows={rows} />}
        >
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Events">
            <table data-testid="events-table" className="events-table">
              <caption className="visually-hidden">Newest events</caption>
              <thead>
                <tr>
                  <th scope="col">Time (UTC)</th>
                  <th scope="col">Event</th>
                  <th scope="col">Person</th>
                  <th scope="col">Context</th>
                  <th scope="col">Properties</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.uuid}>
                    <td className="num" data-label="Time">
                      {formatUtcSeconds(r.timestamp).replace(' UTC', '')}
                    </td>
                    <td data-label="Event">
                      <button
                        type="button"
                        className="path-button event-name"
                        onClick={() => apply({ ...filters, event: r.event })}
                        title="Show only this event"
                      >
                        {r.event}
                      </button>
                    </td>
                    <td className="cell-wrap" data-label="Person">
                      <button
                        type="button"
                        className="path-button"
                        onClick={() => apply({ ...filters, distinctId: r.distinctId })}
                        title="Show only this person"
                      >
                        {r.distinctId}
                      </button>
                      {r.personEmail ? (
                        <a className="person-email" href={personHref(r.personId)} data-testid="event-person-email">
                          {r.personEmail}
                        </a>
                      ) : null}
                    </td>
                    <td className="cell-wrap" data-label="Context">
                      {r.context}
                    </td>
                    <td data-label="Properties">
                      <details>
                        <summary>View</summary>
                        <PropertyTree properties={JSON.parse(r.properties) as Record<string, unknown>} />
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {more ? (
            <p>
              <button type="button" className="button button-small button-quiet" onClick={loadOlder}>
                Load older events
              </button>
            </p>
          ) : null}
        </Card>
      ) : null}
    </>
  );
}

/** The live events page island. */
export default function LiveEvents() {
  return (
    <Gate>
      <EventsBody />
    </Gate>
  );
}
