/**
 * Step property filters and exclusions of the funnel as URL state. Pure: parsing never throws, and anything
 * malformed is dropped (the API stays the judge of what is valid). The funnel routes take `steps` as a JSON array
 * when a step has filters and `exclusions` as a JSON array; plain steps keep the short comma form.
 */
import { type FunnelExclusion, PROPERTY_OPERATORS, type PropertyFilter, type PropertyOperator, type PropertyScalar } from '../../../api/analytics/contract.ts';

/** PostHog's property operators, as the funnel routes accept them. */
export const FILTER_OPERATORS = PROPERTY_OPERATORS;
export type FilterOperator = PropertyOperator;

/** Labels of the operators in the editor. */
export const OPERATOR_LABELS: Record<FilterOperator, string> = {
  exact: 'equals',
  is_not: 'does not equal',
  icontains: 'contains',
  not_icontains: 'does not contain',
  regex: 'matches regex',
  not_regex: 'does not match regex',
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
  is_set: 'is set',
  is_not_set: 'is not set',
};

export type FilterValue = PropertyScalar;
export type { PropertyFilter };
/** An event that disqualifies an attempt between two steps (0-based, fromStep < toStep). */
export type Exclusion = FunnelExclusion;

/** Whether an operator takes a value. */
export function operatorNeedsValue(operator: FilterOperator | undefined): boolean {
  return operator !== 'is_set' && operator !== 'is_not_set';
}

/** Whether an operator compares numbers, so a numeric text is sent as a number. */
export function operatorIsNumeric(operator: FilterOperator | undefined): boolean {
  return operator === 'gt' || operator === 'gte' || operator === 'lt' || operator === 'lte';
}

/** The value typed in the editor as the route wants it: a number for numeric operators, none for set checks. */
export function filterValue(operator: FilterOperator | undefined, text: string): FilterValue | undefined {
  if (!operatorNeedsValue(operator)) return undefined;
  const trimmed = text.trim();
  if (operatorIsNumeric(operator) && trimmed !== '' && Number.isFinite(Number(trimmed))) return Number(trimmed);
  return text;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isValue = (v: unknown): v is FilterValue => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** A filter from parsed JSON, or undefined when it is not one. */
export function readFilter(raw: unknown): PropertyFilter | undefined {
  if (!isObject(raw) || typeof raw.key !== 'string' || raw.key.length === 0 || raw.key.length > 200) return undefined;
  const filter: PropertyFilter = { key: raw.key };
  if (raw.type === 'person' || raw.type === 'event') filter.type = raw.type;
  if ((FILTER_OPERATORS as readonly unknown[]).includes(raw.operator)) filter.operator = raw.operator as FilterOperator;
  if (isValue(raw.value) || (Array.isArray(raw.value) && raw.value.every(isValue))) filter.value = raw.value;
  return filter;
}

function readFilters(raw: unknown): PropertyFilter[] {
  return Array.isArray(raw) ? raw.map(readFilter).filter((f): f is PropertyFilter => f !== undefined) : [];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Steps from the `steps` parameter, comma or JSON form: event names and each step's filters, or undefined. */
export function parseStepsParam(text: string | null): { steps: string[]; filters: PropertyFilter[][] } | undefined {
  if (!text) return undefined;
  if (!text.trimStart().startsWith('[')) {
    const steps = text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0 && s.length <= 200);
    return { steps, filters: steps.map(() => []) };
  }
  const raw = parseJson(text);
  if (!Array.isArray(raw)) return undefined;
  const steps: string[] = [];
  const filters: PropertyFilter[][] = [];
  for (const item of raw) {
    const event = typeof item === 'string' ? item : isObject(item) && typeof item.event === 'string' ? item.event : '';
    if (!event || event.length > 200) continue;
    steps.push(event);
    filters.push(isObject(item) ? readFilters(item.properties) : []);
  }
  return { steps, filters };
}

/** The `steps` parameter: the comma form when no step has filters and no name holds a comma, else JSON. */
export function encodeStepsParam(steps: readonly string[], filters: ReadonlyArray<ReadonlyArray<PropertyFilter>>): string {
  const filtered = steps.some((_, i) => (filters[i]?.length ?? 0) > 0);
  if (!filtered && !steps.some((s) => s.includes(','))) return steps.join(',');
  return JSON.stringify(steps.map((event, i) => ((filters[i]?.length ?? 0) > 0 ? { event, properties: filters[i] } : event)));
}

/** Exclusions from the `exclusions` parameter; malformed items are dropped. */
export function parseExclusionsParam(text: string | null): Exclusion[] {
  const raw = text ? parseJson(text) : undefined;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((item): Exclusion[] => {
    if (!isObject(item) || typeof item.event !== 'string' || !item.event || item.event.length > 200) return [];
    const { fromStep, toStep } = item;
    if (!Number.isInteger(fromStep) || !Number.isInteger(toStep) || (fromStep as number) < 0 || (toStep as number) <= (fromStep as number)) return [];
    const properties = readFilters(item.properties);
    return [{ event: item.event, ...(properties.length ? { properties } : {}), fromStep: fromStep as number, toStep: toStep as number }];
  });
}

/** The `exclusions` parameter, or '' when there are none. */
export function encodeExclusionsParam(exclusions: ReadonlyArray<Exclusion>): string {
  return exclusions.length ? JSON.stringify(exclusions) : '';
}

/** A filter as one short line, e.g. `plan equals "pro"` or `person email contains "@acme"`. */
export function describeFilter(f: PropertyFilter): string {
  const op = f.operator ?? 'exact';
  const who = f.type === 'person' ? 'person ' : '';
  const value = operatorNeedsValue(op) ? ` ${JSON.stringify(f.value ?? '')}` : '';
  return `${who}${f.key} ${OPERATOR_LABELS[op]}${value}`;
}
