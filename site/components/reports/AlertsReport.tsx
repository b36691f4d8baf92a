/**
 * Alerts island: the admin's alert rules (list, create, edit, delete), a manual "Check now" and each rule's webhook
 * delivery log, all through `/api/v1/alerts`.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { AlertRuleForm } from './AlertRuleForm.tsx';
import { checkRule, deleteRule, deliveriesPath, RULES_PATH } from './alerts-api.ts';
import {
  type AlertCheckResponse,
  type AlertDeliveriesResponse,
  type AlertDeliveryJson,
  type AlertRuleJson,
  type AlertRulesResponse,
  checkSummary,
  draftFromFunnelLink,
  draftFromRule,
  emptyDraft,
  type RuleDraft,
  type RuleRow,
  ruleRows,
} from './alerts-shape.ts';
import { getJson, ReportApiError } from './api.ts';
import type { CsvColumn } from './csv.ts';
import { formatUtc } from './format.ts';
import { Gate } from './Gate.tsx';
import { useApi } from './hooks.ts';
import { Card, type Column, CsvButton, DataTable, EmptyState, ErrorMessage, Loading } from './ui.tsx';

const CSV_COLUMNS: ReadonlyArray<CsvColumn<RuleRow>> = [
  { header: 'id', value: (r) => r.id },
  { header: 'name', value: (r) => r.name },
  { header: 'steps', value: (r) => r.rule.steps.join(',') },
  { header: 'window', value: (r) => r.window },
  { header: 'range', value: (r) => r.range },
  { header: 'interval', value: (r) => r.interval },
  { header: 'trigger', value: (r) => r.trigger },
  { header: 'webhook_url', value: (r) => r.webhookUrl },
  { header: 'enabled', value: (r) => r.enabled },
  { header: 'state', value: (r) => r.state },
  { header: 'last_check', value: (r) => r.rule.lastRunAt },
  { header: 'next_check', value: (r) => r.rule.nextRunAt },
];

const DELIVERY_COLUMNS: ReadonlyArray<Column<AlertDeliveryJson>> = [
  { header: 'Time', value: (d) => formatUtc(d.createdAt) },
  { header: 'Condition', value: (d) => d.condition, render: (d) => <code>{d.condition}</code> },
  {
    header: 'Status',
    value: (d) => d.status,
    render: (d) => <span className={`badge ${d.status === 'failed' ? 'badge-high' : d.status === 'delivered' ? 'badge-ok' : 'badge-low'}`}>{d.status}</span>,
  },
  { header: 'Attempts', value: (d) => d.attempts, numeric: true },
  { header: 'HTTP status', value: (d) => d.responseStatus ?? '—', numeric: true },
  { header: 'Error', value: (d) => d.error ?? '' },
];

function stateBadge(row: RuleRow) {
  const cls = row.tone === 'alerting' ? 'badge badge-high' : row.tone === 'ok' ? 'badge badge-ok' : 'badge badge-low';
  return <span className={cls}>{row.state}</span>;
}

/** Webhook URLs often embed a secret path (Slack); show the host and the start, the full URL is in the CSV and the form. */
function shortUrl(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname.length > 18 ? `${u.pathname.slice(0, 18)}…` : u.pathname;
    return `${u.host}${path}`;
  } catch {
    return url;
  }
}

function Deliveries({ rule, version }: { rule: AlertRuleJson; version: number }) {
  const state = useApi<AlertDeliveriesResponse>(deliveriesPath(rule.id), { v: String(version) });
  return (
    <Card
      title={`Delivery log: ${rule.name}`}
      description="Each webhook POST this rule made, newest first: its status, how many attempts it took and the receiver’s answer."
      id="alert-deliveries"
    >
      {state.status === 'loading' ? <Loading label="Loading deliveries…" /> : null}
      {state.status === 'error' ? <ErrorMessage message={state.error} onRetry={state.reload} /> : null}
      {state.status === 'ready' && state.data.deliveries.length === 0 ? (
        <EmptyState title="No deliveries yet">A delivery is recorded when a check finds a condition that was not already alerted.</EmptyState>
      ) : null}
      {state.status === 'ready' && state.data.deliveries.length > 0 ? (
        <DataTable
          caption={`Webhook deliveries of ${rule.name}`}
          columns={DELIVERY_COLUMNS}
          rows={state.data.deliveries}
          rowKey={(d) => String(d.id)}
          csvName={`alert deliveries ${rule.name}`}
        />
      ) : null}
    </Card>
  );
}

function AlertsBody() {
  const [rules, setRules] = useState<AlertRuleJson[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [editing, setEditing] = useState<AlertRuleJson | null>(null);
  const [formKey, setFormKey] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<AlertRuleJson | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const [check, setCheck] = useState<{ rule: AlertRuleJson; result: AlertCheckResponse } | null>(null);
  const [logRule, setLogRule] = useState<AlertRuleJson | null>(null);
  const [logVersion, setLogVersion] = useState(0);
  const formRef = useRef<HTMLDivElement>(null);
  // Opened from the funnel page's "Alert me" link: the first new rule starts from that funnel.
  const [prefill, setPrefill] = useState<RuleDraft | null>(() => (typeof location === 'undefined' ? null : draftFromFunnelLink(location.search)));

  const load = useCallback(() => {
    setLoadError(null);
    getJson<AlertRulesResponse>(RULES_PATH).then(
      (res) => setRules(res.rules),
      (err: unknown) => setLoadError(err instanceof ReportApiError ? err.message : 'Could not load alert rules.'),
    );
  }, []);
  useEffect(load, [load]);

  const startEdit = (rule: AlertRuleJson) => {
    setEditing(rule);
    setFormKey((k) => k + 1);
    setNotice(null);
  };
  // After the form remounts with the rule: bring it into view and put the cursor in it.
  useEffect(() => {
    if (!editing) return;
    formRef.current?.scrollIntoView({ block: 'start' });
    formRef.current?.querySelector<HTMLInputElement>('input')?.focus({ preventScroll: true });
  }, [editing]);
  const stopEdit = () => {
    setEditing(null);
    setFormKey((k) => k + 1);
  };
  const onSaved = (rule: AlertRuleJson, created: boolean) => {
    setNotice(created ? `Created “${rule.name}”.` : `Saved “${rule.name}”.`);
    setEditing(null);
    setPrefill(null);
    setFormKey((k) => k + 1);
    if (logRule?.id === rule.id) setLogRule(rule);
    load();
  };

  const runCheck = async (rule: AlertRuleJson) => {
    setBusyId(rule.id);
    setActionError(null);
    try {
      const result = await checkRule(rule.id);
      setCheck({ rule, result });
      setLogVersion((v) => v + 1);
      load();
    } catch (err) {
      setActionError(err instanceof ReportApiError ? err.message : 'The check failed.');
    } finally {
      setBusyId(null);
    }
  };

  const remove = async (rule: AlertRuleJson) => {
    setBusyId(rule.id);
    setActionError(null);
    try {
      await deleteRule(rule.id);
      setNotice(`Deleted “${rule.name}”.`);
      setConfirmDelete(null);
      if (editing?.id === rule.id) stopEdit();
      if (logRule?.id === rule.id) setLogRule(null);
      if (check?.rule.id === rule.id) setCheck(null);
      load();
    } catch (err) {
      setActionError(err instanceof ReportApiError ? err.message : 'Could not delete the rule.');
    } finally {
      setBusyId(null);
    }
  };

  const rows = rules ? ruleRows(rules) : [];
  const columns: ReadonlyArray<Column<RuleRow>> = [
    { header: 'Name', value: (r) => r.name, render: (r) => <strong className="alert-name">{r.name}</strong> },
    { header: 'Funnel steps', value: (r) => r.steps, render: (r) => <span className="event-name">{r.steps}</span> },
    {
      header: 'Schedule',
      value: (r) => `${r.interval}, last ${r.range}, ${r.window} window`,
      render: (r) => (
        <span className="alert-schedule">
          <span className="nowrap">
            {r.interval === 'daily' ? 'Daily' : 'Hourly'} · last {r.range}
          </span>{' '}
          <span className="nowrap muted small">{r.window} conversion window</span>
        </span>
      ),
    },
    { header: 'Trigger', value: (r) => r.trigger },
    {
      header: 'Webhook',
      value: (r) => r.webhookUrl,
      render: (r) => (
        <span title={r.webhookUrl} className="alert-url">
          {shortUrl(r.webhookUrl)}
        </span>
      ),
    },
    {
      header: 'State',
      value: (r) => r.state,
      render: (r) => (
        <span className="alert-state">
          {stateBadge(r)}
          {/* The scheduler records its runs; a manual "Check now" does not move this (the API keeps it for scheduled checks). */}
          <span className="muted small">Last scheduled check: {r.lastCheck}</span>
        </span>
      ),
    },
    {
      header: 'Actions',
      value: () => '',
      render: (r) => (
        <div className="row-actions">
          <button type="button" className="button button-small button-quiet" onClick={() => startEdit(r.rule)} aria-label={`Edit ${r.name}`}>
            Edit
          </button>
          <button
            type="button"
            className="button button-small button-quiet"
            onClick={() => void runCheck(r.rule)}
            disabled={busyId === r.id}
            aria-label={`Check ${r.name} now`}
          >
            {busyId === r.id ? 'Checking…' : 'Check now'}
          </button>
          <button
            type="button"
            className="button button-small button-quiet"
            onClick={() => setLogRule(logRule?.id === r.id ? null : r.rule)}
            aria-expanded={logRule?.id === r.id}
            aria-controls={logRule?.id === r.id ? 'alert-deliveries' : undefined}
            aria-label={`Deliveries of ${r.name}`}
          >
            Deliveries
          </button>
          <button type="button" className="button button-small button-danger" onClick={() => setConfirmDelete(r.rule)} aria-label={`Delete ${r.name}`}>
            Delete
          </button>
        </div>
      ),
    },
  ];

  return (
    <div data-testid="alerts-report" className="alerts-page">
      <div ref={formRef}>
        <Card
          title={editing ? `Edit “${editing.name}”` : 'New alert rule'}
          description="Onramp checks the funnel on this schedule and POSTs a Slack-compatible message to the webhook when the trigger holds. It does not alert again until the condition clears."
        >
          {prefill && !editing ? (
            <p className="notice" data-testid="alert-prefilled">
              Filled in from the funnel you were viewing: {prefill.steps.join(' → ')}, {prefill.window} window. Add a webhook and save.
            </p>
          ) : null}
          <AlertRuleForm
            key={formKey}
            initial={editing ? draftFromRule(editing) : (prefill ?? emptyDraft())}
            editing={editing}
            onSaved={onSaved}
            {...(editing ? { onCancel: stopEdit } : {})}
          />
        </Card>
      </div>

      <Card title="Alert rules" actions={<CsvButton name="alert rules" columns={CSV_COLUMNS} rows={rows} />}>
        <div role="status" aria-live="polite" className="alert-notice">
          {notice ? <p className="notice">{notice}</p> : null}
        </div>
        {actionError ? (
          <p className="form-error" role="alert">
            {actionError}
          </p>
        ) : null}
        {confirmDelete ? (
          <div className="confirm-bar" role="group" aria-label="Confirm delete">
            <p>Delete “{confirmDelete.name}”? It will no longer be checked and its delivery log goes with it.</p>
            <div className="row-actions">
              <button
                type="button"
                className="button button-small button-danger"
                onClick={() => void remove(confirmDelete)}
                disabled={busyId === confirmDelete.id}
              >
                Delete rule
              </button>
              <button type="button" className="button button-small button-quiet" onClick={() => setConfirmDelete(null)}>
                Keep it
              </button>
            </div>
          </div>
        ) : null}
        {check ? (
          <div className="check-result" data-testid="check-result">
            <p>
              <strong>{check.rule.name}</strong> checked at {formatUtc(check.result.checkedAt)}: {checkSummary(check.result)}
            </p>
            {check.result.conditions.length > 0 ? (
              <ul>
                {check.result.conditions.map((c) => (
                  <li key={c.key}>{c.message}</li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
        {rules === null && !loadError ? <Loading label="Loading alert rules…" /> : null}
        {loadError ? <ErrorMessage message={loadError} onRetry={load} /> : null}
        {rules !== null && rules.length === 0 ? (
          <EmptyState title="No alert rules yet">Create one above: pick the funnel, how often to check, what should trigger, and where to POST.</EmptyState>
        ) : null}
        {rules !== null && rules.length > 0 ? (
          <DataTable
            caption="Alert rules table"
            columns={columns}
            rows={rows}
            rowKey={(r) => r.id}
            rowProps={(r) => ({ 'data-rule-id': r.id })}
            tableClassName="alerts-table"
            stackOnPhones
          />
        ) : null}
      </Card>

      {logRule ? <Deliveries rule={logRule} version={logVersion} /> : null}
    </div>
  );
}

export default function AlertsReport() {
  return (
    <Gate>
      <AlertsBody />
    </Gate>
  );
}
