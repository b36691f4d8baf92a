/**
 * Editor of the funnel's step property filters and exclusion steps. Keys and event names are offered from
 * `GET /api/v1/reports/catalog` (what was seen in the last 30 days); anything else can still be typed. Applying
 * writes the JSON `steps` / `exclusions` parameters into the URL, which the funnel routes read.
 */
import { type FormEvent, useEffect, useId, useState } from 'react';
import type { Catalog } from '../../../api/analytics/person-contract.ts';
import {
  describeFilter,
  type Exclusion,
  FILTER_OPERATORS,
  type FilterOperator,
  filterValue,
  OPERATOR_LABELS,
  operatorNeedsValue,
  type PropertyFilter,
} from './funnel-filters.ts';
import { useApi } from './hooks.ts';
import type { ReportQuery } from './query.ts';

/** A filter being typed: the value as text until it is applied. */
interface DraftFilter {
  key: string;
  type: 'event' | 'person';
  operator: FilterOperator;
  value: string;
}

const emptyDraft = (): DraftFilter => ({ key: '', type: 'event', operator: 'exact', value: '' });

function toFilter(d: DraftFilter): PropertyFilter | undefined {
  if (!d.key.trim()) return undefined;
  const value = filterValue(d.operator, d.value);
  return { key: d.key.trim(), ...(d.type === 'person' ? { type: 'person' as const } : {}), operator: d.operator, ...(value === undefined ? {} : { value }) };
}

function FilterForm({ catalog, label, onAdd }: { catalog: Catalog | undefined; label: string; onAdd: (f: PropertyFilter) => void }) {
  const [draft, setDraft] = useState(emptyDraft);
  const keysId = useId();
  const keys = draft.type === 'person' ? catalog?.personProperties : catalog?.eventProperties;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const filter = toFilter(draft);
    if (filter) {
      onAdd(filter);
      setDraft(emptyDraft());
    }
  };
  return (
    <form className="filter-form" onSubmit={submit} aria-label={label}>
      <select aria-label={`${label}: property of`} value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.target.value as DraftFilter['type'] })}>
        <option value="event">event</option>
        <option value="person">person</option>
      </select>
      <input
        aria-label={`${label}: property`}
        list={keysId}
        value={draft.key}
        maxLength={200}
        placeholder="property"
        onChange={(e) => setDraft({ ...draft, key: e.target.value })}
      />
      <datalist id={keysId}>
        {(keys ?? []).map((k) => (
          <option key={k} value={k} />
        ))}
      </datalist>
      <select aria-label={`${label}: operator`} value={draft.operator} onChange={(e) => setDraft({ ...draft, operator: e.target.value as FilterOperator })}>
        {FILTER_OPERATORS.map((o) => (
          <option key={o} value={o}>
            {OPERATOR_LABELS[o]}
          </option>
        ))}
      </select>
      {operatorNeedsValue(draft.operator) ? (
        <input
          aria-label={`${label}: value`}
          value={draft.value}
          maxLength={500}
          placeholder="value"
          onChange={(e) => setDraft({ ...draft, value: e.target.value })}
        />
      ) : null}
      <button type="submit" className="button button-small button-quiet" disabled={!draft.key.trim()}>
        Add filter
      </button>
    </form>
  );
}

function FilterChips({ filters, label, onRemove }: { filters: PropertyFilter[]; label: string; onRemove: (i: number) => void }) {
  if (filters.length === 0) return null;
  return (
    <ul className="filter-chips">
      {filters.map((f, i) => (
        <li key={i} className="filter-chip">
          <span>{describeFilter(f)}</span>
          <button type="button" className="icon-button" aria-label={`Remove ${label} filter ${describeFilter(f)}`} onClick={() => onRemove(i)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}

function ExclusionForm({ steps, catalog, onAdd }: { steps: string[]; catalog: Catalog | undefined; onAdd: (x: Exclusion) => void }) {
  const eventsId = useId();
  const [event, setEvent] = useState('');
  const [fromStep, setFromStep] = useState(0);
  const [toStep, setToStep] = useState(steps.length - 1);
  useEffect(() => setToStep((t) => Math.min(Math.max(t, 1), steps.length - 1)), [steps.length]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (event.trim() && fromStep < toStep) {
      onAdd({ event: event.trim(), fromStep, toStep });
      setEvent('');
    }
  };
  const stepOption = (i: number) => (
    <option key={i} value={i}>
      {i + 1}. {steps[i]}
    </option>
  );
  return (
    <form className="filter-form" onSubmit={submit} aria-label="New exclusion">
      <input
        aria-label="Excluded event"
        list={eventsId}
        value={event}
        maxLength={200}
        placeholder="event, e.g. api_key_revoked"
        onChange={(e) => setEvent(e.target.value)}
      />
      <datalist id={eventsId}>
        {(catalog?.events ?? []).map((e) => (
          <option key={e.name} value={e.name} />
        ))}
      </datalist>
      <select aria-label="Excluded after step" value={fromStep} onChange={(e) => setFromStep(Number(e.target.value))}>
        {steps.slice(0, -1).map((_, i) => stepOption(i))}
      </select>
      <select aria-label="Excluded before step" value={toStep} onChange={(e) => setToStep(Number(e.target.value))}>
        {steps.map((_, i) => (i > 0 ? stepOption(i) : null))}
      </select>
      <button type="submit" className="button button-small button-quiet" disabled={!event.trim() || fromStep >= toStep}>
        Add exclusion
      </button>
    </form>
  );
}

/** The filters and exclusions editor of the funnel page; `onChange` writes them into the URL. */
export function StepFiltersEditor({ query, onChange }: { query: ReportQuery; onChange: (next: Partial<ReportQuery>) => void }) {
  const catalog = useApi<Catalog>('/api/v1/reports/catalog', {});
  const filtersOf = (i: number) => query.stepFilters[i] ?? [];
  const setFilters = (i: number, filters: PropertyFilter[]) =>
    onChange({ stepFilters: query.steps.map((_, j) => (j === i ? filters : filtersOf(j))), exclusions: query.exclusions });
  const active = query.stepFilters.reduce((n, f) => n + f.length, 0) + query.exclusions.length;
  return (
    <details className="step-filters" data-testid="step-filters">
      <summary>
        Step filters and exclusions{active ? ` (${active})` : ''}
        {catalog.status === 'error' ? <span className="muted"> · suggestions unavailable</span> : null}
      </summary>
      <ol className="step-filter-list">
        {query.steps.map((step, i) => (
          <li key={`${i}-${step}`}>
            <span className="step-filter-name">
              {i + 1}. {step}
            </span>
            <FilterChips
              filters={filtersOf(i)}
              label={`step ${i + 1}`}
              onRemove={(k) =>
                setFilters(
                  i,
                  filtersOf(i).filter((_, j) => j !== k),
                )
              }
            />
            <FilterForm catalog={catalog.data} label={`Step ${i + 1} filter`} onAdd={(f) => setFilters(i, [...filtersOf(i), f])} />
          </li>
        ))}
      </ol>
      <h3 className="subhead">Exclusions</h3>
      <p className="muted">An attempt in which the event happens between the two steps does not count.</p>
      {query.exclusions.length ? (
        <ul className="filter-chips">
          {query.exclusions.map((x, i) => (
            <li key={i} className="filter-chip">
              <span>
                {x.event} between step {x.fromStep + 1} and step {x.toStep + 1}
              </span>
              <button
                type="button"
                className="icon-button"
                aria-label={`Remove exclusion ${x.event}`}
                onClick={() => onChange({ exclusions: query.exclusions.filter((_, j) => j !== i) })}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <ExclusionForm steps={query.steps} catalog={catalog.data} onAdd={(x) => onChange({ exclusions: [...query.exclusions, x] })} />
    </details>
  );
}
