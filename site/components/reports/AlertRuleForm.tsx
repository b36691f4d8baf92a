/**
 * Create / edit form for an alert rule. Validation is the API's: the page sends what was typed and shows the
 * server's message next to the field it names (e.g. a webhook URL the API refuses), so UI and API never disagree.
 */
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { createRule, updateRule } from './alerts-api.ts';
import {
  type AlertRuleJson,
  type DraftField,
  DURATION_UNITS,
  type DurationUnit,
  fieldOfMessage,
  type RuleDraft,
  ruleBody,
  TRIGGER_CHOICES,
  type TriggerKind,
} from './alerts-shape.ts';
import { ReportApiError } from './api.ts';
import { KNOWN_EVENTS, MAX_STEPS, MIN_STEPS, RANGE_PRESETS, WINDOW_CHOICES } from './query.ts';
import { Segmented } from './ui.tsx';

interface SaveError {
  message: string;
  field: DraftField | null;
}

/** A labelled control with an optional error line tied to it through aria-describedby. */
function Field({ id, label, hint, error, children }: { id: string; label: string; hint?: string; error?: string | undefined; children: ReactNode }) {
  return (
    <div className="control alert-field">
      <label className="control-label" htmlFor={id}>
        {label}
      </label>
      {children}
      {hint ? (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="form-error field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** aria attributes for a control whose field may carry the API's error. */
function describedBy(id: string, error: string | undefined, hint = false) {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return { 'aria-invalid': error ? true : undefined, 'aria-describedby': ids || undefined };
}

export function AlertRuleForm({
  initial,
  editing,
  onSaved,
  onCancel,
}: {
  initial: RuleDraft;
  editing: AlertRuleJson | null;
  onSaved: (rule: AlertRuleJson, created: boolean) => void;
  onCancel?: () => void;
}) {
  const ids = {
    name: useId(),
    window: useId(),
    range: useId(),
    trigger: useId(),
    threshold: useId(),
    step: useId(),
    ttfsi: useId(),
    unit: useId(),
    webhook: useId(),
    enabled: useId(),
    events: useId(),
    steps: useId(),
  };
  const [draft, setDraft] = useState<RuleDraft>(initial);
  const [error, setError] = useState<SaveError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof RuleDraft>(key: K, value: RuleDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const errorFor = (field: DraftField) => (error?.field === field ? error.message : undefined);
  const windows = WINDOW_CHOICES.includes(draft.window) ? WINDOW_CHOICES : [...WINDOW_CHOICES, draft.window];

  const setStep = (index: number, value: string) => setDraft((d) => ({ ...d, steps: d.steps.map((s, i) => (i === index ? value : s)) }));
  const removeStep = (index: number) => setDraft((d) => ({ ...d, steps: d.steps.filter((_, i) => i !== index) }));
  const addStep = () => setDraft((d) => ({ ...d, steps: [...d.steps, ''] }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = ruleBody(draft);
      const saved = editing ? await updateRule(editing.id, body) : await createRule(body);
      onSaved(saved, editing === null);
    } catch (err) {
      const message = err instanceof ReportApiError ? err.message : 'Could not save the rule.';
      setError({ message, field: fieldOfMessage(message) });
    } finally {
      setBusy(false);
    }
  };

  const stepsError = errorFor('steps');
  const stepNames = draft.steps.map((s, i) => s.trim() || `step ${i + 1}`);

  return (
    <form
      className="alert-form"
      onSubmit={submit}
      noValidate
      aria-label={editing ? `Edit alert rule ${editing.name}` : 'New alert rule'}
      data-testid="alert-form"
    >
      <div className="alert-form-grid">
        <Field id={ids.name} label="Rule name" error={errorFor('name')}>
          <input
            id={ids.name}
            value={draft.name}
            onChange={(e) => set('name', e.target.value)}
            maxLength={200}
            placeholder="e.g. Signup → key drop"
            {...describedBy(ids.name, errorFor('name'))}
          />
        </Field>
        <Field
          id={ids.webhook}
          label="Webhook URL"
          hint="Slack incoming webhook or any endpoint that accepts a JSON POST. Leave it empty to only log what would have fired."
          error={errorFor('webhookUrl')}
        >
          <input
            id={ids.webhook}
            type="text"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            value={draft.webhookUrl}
            onChange={(e) => set('webhookUrl', e.target.value)}
            placeholder="https://hooks.slack.com/services/…"
            {...describedBy(ids.webhook, errorFor('webhookUrl'), true)}
          />
        </Field>
      </div>

      <fieldset className="steps-editor alert-steps" aria-describedby={stepsError ? `${ids.steps}-error` : undefined}>
        <legend className="control-label">Funnel steps (in order)</legend>
        <ol>
          {draft.steps.map((step, i) => (
            <li key={i}>
              <input
                aria-label={`Step ${i + 1} event`}
                list={ids.events}
                value={step}
                onChange={(e) => setStep(i, e.target.value)}
                maxLength={200}
                aria-invalid={stepsError ? true : undefined}
              />
              <button
                type="button"
                className="icon-button"
                onClick={() => removeStep(i)}
                disabled={draft.steps.length <= MIN_STEPS}
                aria-label={`Remove step ${i + 1}`}
              >
                ×
              </button>
            </li>
          ))}
        </ol>
        <datalist id={ids.events}>
          {KNOWN_EVENTS.map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
        <button type="button" className="button button-small button-quiet" onClick={addStep} disabled={draft.steps.length >= MAX_STEPS}>
          Add step
        </button>
        {stepsError ? (
          <p className="form-error field-error" id={`${ids.steps}-error`} role="alert">
            {stepsError}
          </p>
        ) : null}
      </fieldset>

      <div className="control-row">
        <Field id={ids.window} label="Conversion window" error={errorFor('window')}>
          <select id={ids.window} value={draft.window} onChange={(e) => set('window', e.target.value)} {...describedBy(ids.window, errorFor('window'))}>
            {windows.map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </Field>
        <Field id={ids.range} label="Period checked" error={errorFor('range')}>
          <select
            id={ids.range}
            value={draft.range}
            onChange={(e) => set('range', e.target.value as RuleDraft['range'])}
            {...describedBy(ids.range, errorFor('range'))}
          >
            {RANGE_PRESETS.map((r) => (
              <option key={r} value={r}>
                Last {r}
              </option>
            ))}
          </select>
        </Field>
        <Segmented
          label="Check interval"
          value={draft.interval}
          options={[
            { value: 'hourly', label: 'Hourly' },
            { value: 'daily', label: 'Daily' },
          ]}
          onChange={(v) => set('interval', v)}
        />
      </div>

      <div className="control-row">
        <Field id={ids.trigger} label="Trigger" error={errorFor('trigger')}>
          <select
            id={ids.trigger}
            value={draft.triggerKind}
            onChange={(e) => set('triggerKind', e.target.value as TriggerKind)}
            {...describedBy(ids.trigger, errorFor('trigger'))}
          >
            {TRIGGER_CHOICES.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </select>
        </Field>
        {draft.triggerKind === 'conversion_below' ? (
          <>
            <Field id={ids.threshold} label="Conversion threshold (%)" error={errorFor('threshold')}>
              <input
                id={ids.threshold}
                type="number"
                inputMode="decimal"
                min={0}
                max={100}
                step="any"
                value={draft.conversionPercent}
                onChange={(e) => set('conversionPercent', e.target.value)}
                className="input-short"
                {...describedBy(ids.threshold, errorFor('threshold'))}
              />
            </Field>
            <Field id={ids.step} label="Step watched" error={errorFor('step')}>
              <select
                id={ids.step}
                value={draft.conversionStep}
                onChange={(e) => set('conversionStep', e.target.value)}
                {...describedBy(ids.step, errorFor('step'))}
              >
                <option value="">Any step</option>
                {stepNames.slice(1).map((name, i) => (
                  <option key={`${i}-${name}`} value={String(i + 2)}>
                    Step {i + 2}: {name}
                  </option>
                ))}
              </select>
            </Field>
          </>
        ) : null}
        {draft.triggerKind === 'ttfsi_p50_above' ? (
          <>
            <Field id={ids.ttfsi} label="TTFSI p50 threshold" error={errorFor('threshold')}>
              <input
                id={ids.ttfsi}
                type="number"
                inputMode="decimal"
                min={0}
                step="any"
                value={draft.ttfsiValue}
                onChange={(e) => set('ttfsiValue', e.target.value)}
                className="input-short"
                {...describedBy(ids.ttfsi, errorFor('threshold'))}
              />
            </Field>
            <Field id={ids.unit} label="Unit">
              <select id={ids.unit} value={draft.ttfsiUnit} onChange={(e) => set('ttfsiUnit', e.target.value as DurationUnit)}>
                {Object.keys(DURATION_UNITS).map((u) => (
                  <option key={u} value={u}>
                    {u}
                  </option>
                ))}
              </select>
            </Field>
          </>
        ) : null}
        <label className="checkbox" htmlFor={ids.enabled}>
          <input id={ids.enabled} type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} />
          Enabled
        </label>
      </div>

      {error && error.field === null ? (
        <p className="form-error" role="alert" data-testid="alert-form-error">
          Couldn’t save the rule: {error.message}
        </p>
      ) : null}
      <div className="alert-form-actions">
        <button type="submit" className="button" disabled={busy}>
          {busy ? 'Saving…' : editing ? 'Save changes' : 'Create rule'}
        </button>
        {onCancel ? (
          <button type="button" className="button button-quiet" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
