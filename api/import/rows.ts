/**
 * Maps one row of a history file to the raw event shape the capture validator takes
 * (`{ uuid?, event, distinct_id, timestamp, properties, $set?, $set_once? }`), without validating it:
 * validation is the capture path's job (validateCapture), so imports and live capture accept exactly the same events.
 *
 * Recognised rows:
 * - PostHog event exports (JSON lines, or CSV with columns such as uuid, event, distinct_id, timestamp, properties,
 *   person_id, set/$set, set_once/$set_once, or flattened `properties.<name>` columns);
 * - Onramp's own JSONL (`onramp export`): `{ uuid, event, distinctId, personId, timestamp, receivedAt, properties }`.
 */

export interface RawImportEvent {
  uuid?: string;
  event?: unknown;
  distinct_id?: unknown;
  timestamp?: unknown;
  properties?: unknown;
  $set?: unknown;
  $set_once?: unknown;
  /** Kept from Onramp exports so a round trip preserves it; PostHog rows get the import time. */
  receivedAt?: number;
}

/** Thrown for a row that cannot even be shaped into an event; the message names the field. */
export class RowError extends Error {}

/** A zone-less "YYYY-MM-DD HH:MM:SS[.ffffff]": PostHog writes UTC, but Date.parse would read it as local time. */
const NAIVE_TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

function normalizeTime(value: unknown): unknown {
  return typeof value === 'string' && NAIVE_TIME.test(value) ? `${value.replace(' ', 'T')}Z` : value;
}

/** Properties, `$set` and friends may arrive as objects or as JSON text (PostHog CSV and some JSON exports). */
function objectField(value: unknown, field: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new RowError(`${field}: not valid JSON`);
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new RowError(`${field}: must be a JSON object`);
  return parsed as Record<string, unknown>;
}

function optionalUuid(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new RowError('uuid: must be a string');
  return value;
}

/** Drops fields that identify the source project: the import writes into this project whatever they said. */
function withoutToken(properties: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (properties && 'token' in properties) delete properties.token;
  return properties;
}

/** Shapes a parsed JSON line (PostHog export or Onramp export). */
export function fromJsonRow(row: unknown): RawImportEvent {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new RowError('line: must be a JSON object');
  const r = row as Record<string, unknown>;
  if ('distinctId' in r && !('distinct_id' in r)) {
    const receivedAt = typeof r.receivedAt === 'string' ? Date.parse(r.receivedAt) : typeof r.receivedAt === 'number' ? r.receivedAt : NaN;
    return {
      uuid: optionalUuid(r.uuid),
      event: r.event,
      distinct_id: r.distinctId,
      timestamp: normalizeTime(r.timestamp),
      properties: withoutToken(objectField(r.properties, 'properties')),
      ...(Number.isFinite(receivedAt) ? { receivedAt } : {}),
    };
  }
  return {
    uuid: optionalUuid(r.uuid),
    event: r.event,
    distinct_id: r.distinct_id,
    timestamp: normalizeTime(r.timestamp),
    properties: withoutToken(objectField(r.properties, 'properties')),
    $set: objectField(r.$set ?? r.set, '$set'),
    $set_once: objectField(r.$set_once ?? r.set_once, '$set_once'),
  };
}

/** CSV cells are text; flattened property columns get their JSON type back when they clearly have one. */
function cellValue(text: string): unknown {
  if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)$/.test(text) || /^[[{"]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** Shapes one CSV record, given the header columns. */
export function fromCsvRow(columns: readonly string[], cells: readonly string[]): RawImportEvent {
  if (cells.length !== columns.length) throw new RowError(`row: has ${cells.length} columns, the header has ${columns.length}`);
  const byName: Record<string, string> = {};
  let flattened: Record<string, unknown> | undefined;
  for (let i = 0; i < columns.length; i++) {
    const name = columns[i]!;
    const cell = cells[i]!;
    if (name.startsWith('properties.')) {
      if (cell !== '') (flattened ??= {})[name.slice('properties.'.length)] = cellValue(cell);
    } else {
      byName[name] = cell;
    }
  }
  const properties = objectField(byName.properties, 'properties') ?? (flattened ? {} : undefined);
  if (flattened && properties) Object.assign(properties, flattened);
  const timestamp = byName.timestamp === undefined || byName.timestamp === '' ? undefined : normalizeTime(byName.timestamp);
  return {
    uuid: optionalUuid(byName.uuid),
    event: byName.event,
    distinct_id: byName.distinct_id === '' ? undefined : byName.distinct_id,
    timestamp,
    properties: withoutToken(properties),
    $set: objectField(byName.$set ?? byName.set, '$set'),
    $set_once: objectField(byName.$set_once ?? byName.set_once, '$set_once'),
  };
}
