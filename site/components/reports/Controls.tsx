/** Report controls: date range for every page, plus window, steps, order and breakdown on the funnel. */
import { type FormEvent, useEffect, useId, useState } from 'react';
import { formatUtc } from './format.ts';
import { FUNNEL_ORDERS, KNOWN_EVENTS, MAX_STEPS, MIN_STEPS, type RangePreset, type ReportQuery, WINDOW_CHOICES } from './query.ts';
import { Segmented } from './ui.tsx';

const RANGE_OPTIONS: ReadonlyArray<{ value: RangePreset; label: string }> = [
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
  { value: 'custom', label: 'Custom' },
];

/** Property names the demo and portal events carry on `signed_up`; any other name can be typed. */
const BREAKDOWN_SUGGESTIONS = ['source', 'language', '$browser', '$os', '$referring_domain'];

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Date range picker: presets apply at once, a custom range applies with its button. */
export function RangeControl({
  query,
  range,
  onChange,
  onRefresh,
}: {
  query: ReportQuery;
  range: { from: string; to: string };
  onChange: (q: Partial<ReportQuery>) => void;
  onRefresh: () => void;
}) {
  const [from, setFrom] = useState(query.from || range.from.slice(0, 10));
  const [to, setTo] = useState(query.to || range.to.slice(0, 10));
  useEffect(() => {
    if (query.range === 'custom') {
      setFrom(query.from);
      setTo(query.to);
    }
  }, [query.range, query.from, query.to]);
  const applyCustom = (e: FormEvent) => {
    e.preventDefault();
    // Dates as YYYY-MM-DD strings compare in calendar order.
    // biome-ignore lint/complexity/useMathMinMax: these are strings, which Math.max would turn into NaN.
    if (from && to) onChange({ range: 'custom', from, to: to < from ? from : to });
  };
  return (
    <div className="control-group">
      <Segmented
        label="Date range"
        value={query.range}
        options={RANGE_OPTIONS}
        onChange={(value) => (value === 'custom' ? onChange({ range: 'custom', from, to }) : onChange({ range: value }))}
      />
      {query.range === 'custom' ? (
        <form className="custom-range" onSubmit={applyCustom}>
          <label>
            <span className="control-label">From</span>
            <input type="date" value={from} max={to || today()} onChange={(e) => setFrom(e.target.value)} required />
          </label>
          <label>
            <span className="control-label">To</span>
            <input type="date" value={to} min={from} onChange={(e) => setTo(e.target.value)} required />
          </label>
          <button type="submit" className="button button-small">
            Apply
          </button>
        </form>
      ) : null}
      <p className="range-readout" data-testid="range-readout" data-from={range.from} data-to={range.to}>
        {formatUtc(range.from)} → {formatUtc(range.to)}{' '}
        <button type="button" className="link-button" onClick={onRefresh}>
          Refresh
        </button>
      </p>
    </div>
  );
}

/** Funnel-only controls: conversion window, order, breakdown and the step list. */
export function FunnelControls({ query, onChange }: { query: ReportQuery; onChange: (q: Partial<ReportQuery>) => void }) {
  const windowId = useId();
  const orderId = useId();
  const breakdownId = useId();
  const listId = useId();
  const propsListId = useId();
  const [steps, setSteps] = useState(query.steps);
  const [breakdown, setBreakdown] = useState(query.breakdown);
  useEffect(() => setSteps(query.steps), [query.steps]);
  useEffect(() => setBreakdown(query.breakdown), [query.breakdown]);
  const windows = WINDOW_CHOICES.includes(query.window) ? WINDOW_CHOICES : [...WINDOW_CHOICES, query.window];
  const stepsChanged = steps.join(',') !== query.steps.join(',');

  const applySteps = (e: FormEvent) => {
    e.preventDefault();
    const clean = steps.map((s) => s.trim()).filter(Boolean);
    if (clean.length >= MIN_STEPS) onChange({ steps: clean });
  };
  const applyBreakdown = (e: FormEvent) => {
    e.preventDefault();
    onChange({ breakdown: breakdown.trim() });
  };

  return (
    <div className="funnel-controls">
      <div className="control-row">
        <label className="control" htmlFor={windowId}>
          <span className="control-label">Conversion window</span>
          <select id={windowId} value={query.window} onChange={(e) => onChange({ window: e.target.value })}>
            {windows.map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </label>
        <label className="control" htmlFor={orderId}>
          <span className="control-label">Step order</span>
          <select id={orderId} value={query.order} onChange={(e) => onChange({ order: e.target.value as ReportQuery['order'] })}>
            {FUNNEL_ORDERS.map((o) => (
              <option key={o} value={o}>
                {o === 'ordered' ? 'Ordered' : o === 'strict' ? 'Strict (nothing in between)' : 'Any order'}
              </option>
            ))}
          </select>
        </label>
        <form className="control inline-form" onSubmit={applyBreakdown}>
          <label htmlFor={breakdownId} className="control-label">
            Breakdown property
          </label>
          <div className="inline-form-row">
            <input
              id={breakdownId}
              list={propsListId}
              value={breakdown}
              placeholder="none, e.g. source"
              onChange={(e) => setBreakdown(e.target.value)}
              maxLength={200}
            />
            <datalist id={propsListId}>
              {BREAKDOWN_SUGGESTIONS.map((p) => (
                <option key={p} value={p} />
              ))}
            </datalist>
            <button type="submit" className="button button-small" disabled={breakdown.trim() === query.breakdown}>
              Apply
            </button>
            {query.breakdown ? (
              <button type="button" className="button button-small button-quiet" onClick={() => onChange({ breakdown: '' })}>
                Clear
              </button>
            ) : null}
          </div>
        </form>
      </div>
      <form className="steps-editor" onSubmit={applySteps} aria-label="Funnel steps">
        <span className="control-label">Funnel steps</span>
        <ol>
          {steps.map((step, i) => (
            <li key={i}>
              <input
                aria-label={`Step ${i + 1} event`}
                list={listId}
                value={step}
                maxLength={200}
                onChange={(e) => setSteps(steps.map((s, j) => (j === i ? e.target.value : s)))}
              />
              <button
                type="button"
                className="icon-button"
                aria-label={`Remove step ${i + 1}`}
                disabled={steps.length <= MIN_STEPS}
                onClick={() => setSteps(steps.filter((_, j) => j !== i))}
              >
                ×
              </button>
            </li>
          ))}
        </ol>
        <datalist id={listId}>
          {KNOWN_EVENTS.map((e) => (
            <option key={e} value={e} />
          ))}
        </datalist>
        <div className="steps-actions">
          <button type="button" className="button button-small button-quiet" disabled={steps.length >= MAX_STEPS} onClick={() => setSteps([...steps, ''])}>
            Add step
          </button>
          <button type="submit" className="button button-small" disabled={!stepsChanged}>
            Apply steps
          </button>
        </div>
      </form>
    </div>
  );
}
