/**
 * Property filters evaluated as PostHog evaluates them, on an event's properties or its person's current ones.
 * Values compare as text (`"5"` equals 5, `true` equals "true"); `icontains` is a plain case-insensitive
 * substring (no `%` or `_` wildcards); the negative operators match an event lacking the property.
 */
import type { PropertyFilter, PropertyScalar } from './contract.ts';

type Props = Record<string, unknown>;

/** A property value as text, the form every comparison but gt/gte/lt/lte uses. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

const regexCache = new Map<string, RegExp>();
/** The compiled regex (validated when the parameters were parsed). */
function regexOf(source: string): RegExp {
  let re = regexCache.get(source);
  if (!re) {
    if (regexCache.size > 1_000) regexCache.clear();
    re = new RegExp(source);
    regexCache.set(source, re);
  }
  return re;
}

const list = (value: PropertyScalar | PropertyScalar[] | undefined): PropertyScalar[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Whether one property value (undefined when absent; JSON null counts as absent) passes `filter`. */
export function passesFilter(filter: PropertyFilter, raw: unknown): boolean {
  const present = raw !== undefined && raw !== null;
  const op = filter.operator ?? 'exact';
  switch (op) {
    case 'is_set':
      return present;
    case 'is_not_set':
      return !present;
    case 'exact':
      return present && list(filter.value).some((v) => asText(v) === asText(raw));
    case 'is_not':
      return !present || !list(filter.value).some((v) => asText(v) === asText(raw));
    case 'icontains':
      return present && asText(raw).toLowerCase().includes(asText(filter.value).toLowerCase());
    case 'not_icontains':
      return !present || !asText(raw).toLowerCase().includes(asText(filter.value).toLowerCase());
    case 'regex':
      return present && regexOf(String(filter.value)).test(asText(raw));
    case 'not_regex':
      return !present || !regexOf(String(filter.value)).test(asText(raw));
    default: {
      if (!present) return false;
      const left = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
      const right = Number(filter.value);
      if (Number.isNaN(left)) return false;
      if (op === 'gt') return left > right;
      if (op === 'gte') return left >= right;
      if (op === 'lt') return left < right;
      return left <= right;
    }
  }
}

/** Whether an event (its properties, and its person's) passes every filter. */
export function passesAll(filters: readonly PropertyFilter[], eventProps: Props | undefined, personProps: Props | undefined): boolean {
  for (const f of filters) {
    const props = f.type === 'person' ? personProps : eventProps;
    if (!passesFilter(f, props ? props[f.key] : undefined)) return false;
  }
  return true;
}

/** Whether any filter reads event properties / person properties (so the query streams them). */
export function filtersRead(filters: readonly PropertyFilter[]): { event: boolean; person: boolean } {
  return { event: filters.some((f) => f.type !== 'person'), person: filters.some((f) => f.type === 'person') };
}
