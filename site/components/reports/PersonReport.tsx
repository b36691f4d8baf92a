/**
 * Person page island (`/reports/person/?id=`): one developer's journey. Who they are, where they are in the
 * funnel, their TTFSI so far, and every event on a timeline, newest first, with failed calls marked.
 */
import { useMemo, useState } from 'react';
import type { PersonJourney } from '../../../api/analytics/person-contract.ts';
import { formatCount, formatDuration, formatUtc } from './format.ts';
import { Gate } from './Gate.tsx';
import { useApi } from './hooks.ts';
import { funnelPosition, kindCounts, type TimelineEntry, type TimelineKind, timeline } from './person-shape.ts';
import { Card, EmptyState, ErrorMessage, Loading, Segmented, Stat } from './ui.tsx';

const KIND_LABELS: Record<TimelineKind, string> = {
  page: 'Page',
  vote: 'Vote',
  quickstart: 'Quickstart',
  signup: 'Signup',
  key: 'API key',
  call: 'Call',
  support: 'Support',
  identity: 'Identity',
  other: 'Event',
};

type Filter = 'all' | 'calls' | 'failed' | 'docs';

const FILTERS: ReadonlyArray<{ value: Filter; label: string }> = [
  { value: 'all', label: 'Everything' },
  { value: 'docs', label: 'Docs' },
  { value: 'calls', label: 'API calls' },
  { value: 'failed', label: 'Failures' },
];

function matches(entry: TimelineEntry, filter: Filter): boolean {
  if (filter === 'calls') return entry.kind === 'call';
  if (filter === 'failed') return entry.failed;
  if (filter === 'docs') return entry.kind === 'page' || entry.kind === 'vote' || entry.kind === 'quickstart';
  return true;
}

function FunnelPosition({ funnel }: { funnel: PersonJourney['funnel'] }) {
  return (
    <Card title="Funnel position" description={funnelPosition(funnel)}>
      <ol className="person-steps" data-testid="person-funnel">
        {funnel.steps.map((s, i) => (
          <li key={`${i}-${s.event}`} className={s.reachedAt ? 'is-reached' : 'is-open'} data-testid={`person-step-${i}`}>
            <span className="person-step-name">
              {i + 1}. {s.event}
            </span>
            <span className="person-step-time">{s.reachedAt ? formatUtc(s.reachedAt) : 'not yet'}</span>
          </li>
        ))}
      </ol>
    </Card>
  );
}

function Timeline({ entries, truncated }: { entries: TimelineEntry[]; truncated: boolean }) {
  const [filter, setFilter] = useState<Filter>('all');
  const shown = entries.filter((e) => matches(e, filter));
  const counts = kindCounts(entries);
  return (
    <Card
      title="Timeline"
      description={`${formatCount(entries.length)} events, newest first: ${formatCount(counts.page)} pages read, ${formatCount(counts.vote)} votes, ${formatCount(counts.call)} API calls.${truncated ? ' Older events are not shown.' : ''}`}
      actions={<Segmented label="Show" value={filter} options={FILTERS} onChange={setFilter} />}
    >
      {shown.length === 0 ? (
        <EmptyState title="No events of this kind." />
      ) : (
        <ol className="timeline" data-testid="person-timeline">
          {shown.map((e) => (
            <li key={e.uuid} className={`timeline-item kind-${e.kind}${e.failed ? ' is-failed' : ''}`} data-testid="timeline-item" data-kind={e.kind}>
              <span className={`timeline-kind${e.failed ? ' badge badge-high' : ''}`}>{e.failed ? 'Failed' : KIND_LABELS[e.kind]}</span>
              <div className="timeline-body">
                <div className="timeline-title">{e.title}</div>
                {e.detail ? <div className="timeline-detail muted">{e.detail}</div> : null}
                {e.comment ? <blockquote className="timeline-comment">{e.comment}</blockquote> : null}
              </div>
              <time className="timeline-time muted" dateTime={e.timestamp}>
                {formatUtc(e.timestamp)}
              </time>
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}

function PersonBody() {
  const id = useMemo(() => new URLSearchParams(location.search).get('id')?.trim() ?? '', []);
  const person = useApi<PersonJourney>(id ? '/api/v1/reports/person' : null, { id });
  const entries = useMemo(() => (person.data ? timeline(person.data.events) : []), [person.data]);
  if (!id) {
    return (
      <EmptyState title="No person selected.">
        Open a person from a funnel step’s persons list or from <a href="/reports/events/">Live events</a>.
      </EmptyState>
    );
  }
  if (person.status === 'loading') return <Loading label="Loading this person’s journey…" />;
  if (person.status === 'error') return <ErrorMessage message={person.error} onRetry={person.reload} />;
  const data = person.data;
  const signedUp = data.funnel.steps[0]?.reachedAt;
  return (
    <div className="report-body" data-testid="person-report">
      <div className="stats">
        <Stat label="Email" value={data.email ?? 'unknown'} testId="person-email" />
        <Stat
          label="TTFSI so far"
          value={data.ttfsiSeconds === null ? 'not yet' : formatDuration(data.ttfsiSeconds)}
          hint={data.ttfsiSeconds === null && signedUp ? `signed up ${formatUtc(signedUp)}` : 'signup to first successful call'}
          testId="person-ttfsi"
        />
        <Stat label="Events" value={formatCount(data.events.length)} hint={data.truncated ? 'latest 1,000 only' : undefined} />
      </div>
      <Card title="Distinct ids" description="Every id this person was seen under; anonymous reading before sign-up is merged in.">
        <ul className="person-ids" data-testid="person-distinct-ids">
          {data.distinctIds.map((d) => (
            <li key={d}>
              <a href={`/reports/events/?distinct_id=${encodeURIComponent(d)}`}>
                <code>{d}</code>
              </a>
            </li>
          ))}
        </ul>
      </Card>
      <FunnelPosition funnel={data.funnel} />
      <Timeline entries={entries} truncated={data.truncated} />
    </div>
  );
}

/** The person page island. */
export default function PersonReport() {
  return (
    <Gate>
      <PersonBody />
    </Gate>
  );
}
