/**
 * Who is behind a funnel figure: the persons who reached a step, dropped before it, or are still in progress,
 * from `GET /api/v1/reports/funnel/persons`, a page at a time, each linking to their person page.
 */
import { useEffect, useRef, useState } from 'react';
import type { FunnelPersonsReport } from '../../../api/analytics/contract.ts';
import { formatCount, formatUtc } from './format.ts';
import { useApi } from './hooks.ts';
import { personHref } from './person-shape.ts';
import { Card, EmptyState, ErrorMessage, Loading } from './ui.tsx';

/** Which persons of which step (0-based) the list shows. */
export interface PersonsSelection {
  step: number;
  status: 'reached' | 'dropped' | 'inProgress';
}

const PAGE_SIZE = 25;

const STATUS_TEXT: Record<PersonsSelection['status'], string> = {
  reached: 'reached',
  dropped: 'dropped out before',
  inProgress: 'are still in progress towards',
};

/** The persons list card; `params` are the funnel's own query parameters. */
export function FunnelPersons({
  selection,
  steps,
  params,
  onClose,
}: {
  selection: PersonsSelection;
  steps: string[];
  params: Record<string, string>;
  onClose: () => void;
}) {
  const [offset, setOffset] = useState(0);
  const key = JSON.stringify([selection, params]);
  const heading = useRef<HTMLDivElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new selection or funnel starts at the first page.
  useEffect(() => {
    setOffset(0);
    heading.current?.scrollIntoView({ block: 'nearest' });
    heading.current?.focus();
  }, [key]);
  const res = useApi<FunnelPersonsReport>('/api/v1/reports/funnel/persons', {
    ...params,
    step: String(selection.step),
    status: selection.status,
    limit: String(PAGE_SIZE),
    offset: String(offset),
  });
  const stepName = `${selection.step + 1}. ${steps[selection.step] ?? ''}`;
  const title = `Persons who ${STATUS_TEXT[selection.status]} ${stepName}`;
  return (
    <div ref={heading} tabIndex={-1} data-testid="funnel-persons">
      <Card
        title={title}
        description={res.data ? `${formatCount(res.data.total)} persons; open one to see their journey.` : undefined}
        actions={
          <button type="button" className="button button-small button-quiet" onClick={onClose}>
            Close<span className="visually-hidden"> the persons list</span>
          </button>
        }
      >
        {res.status === 'loading' ? <Loading label="Loading persons…" /> : null}
        {res.status === 'error' ? <ErrorMessage message={res.error} onRetry={res.reload} /> : null}
        {res.data && res.data.persons.length === 0 ? <EmptyState title="Nobody here." /> : null}
        {res.data && res.data.persons.length > 0 ? (
          <>
            <div className="table-scroll" tabIndex={0} role="region" aria-label={title}>
              <table className="persons-table">
                <caption className="visually-hidden">{title}</caption>
                <thead>
                  <tr>
                    <th scope="col">Person</th>
                    <th scope="col">Distinct ids</th>
                    <th scope="col">Entered (UTC)</th>
                    <th scope="col">Reached (UTC)</th>
                  </tr>
                </thead>
                <tbody>
                  {res.data.persons.map((p) => (
                    <tr key={p.personId} data-testid="funnel-person">
                      <td data-label="Person">
                        <a href={personHref(p.personId)}>{p.email ?? p.distinctIds[0] ?? p.personId}</a>
                      </td>
                      <td className="cell-wrap" data-label="Distinct ids">
                        {p.distinctIds.join(', ')}
                      </td>
                      <td className="num" data-label="Entered">
                        {formatUtc(p.enteredAt).replace(' UTC', '')}
                      </td>
                      <td className="num" data-label="Reached">
                        {p.reachedAt ? formatUtc(p.reachedAt).replace(' UTC', '') : '—'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <nav className="pager" aria-label="Persons pages">
              <button
                type="button"
                className="button button-small button-quiet"
                disabled={offset === 0}
                onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}
              >
                Previous
              </button>
              <span className="muted" data-testid="persons-range">
                {formatCount(offset + 1)}–{formatCount(offset + res.data.persons.length)} of {formatCount(res.data.total)}
              </span>
              <button
                type="button"
                className="button button-small button-quiet"
                disabled={offset + PAGE_SIZE >= res.data.total}
                onClick={() => setOffset(offset + PAGE_SIZE)}
              >
                Next
              </button>
            </nav>
          </>
        ) : null}
      </Card>
    </div>
  );
}
