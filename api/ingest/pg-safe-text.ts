import type { NormalizedEvent } from './validate.ts';

/** A surrogate half without its partner: JSON allows it as an escape, but jsonb and UTF-8 text cannot hold it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/**
 * What jsonb rejects, as JSON.stringify writes it: the escape `\u0000`, or a lone surrogate (always escaped, lower
 * case), preceded by an even run of backslashes, so an escaped backslash followed by the text "u0000" is not taken.
 */
const JSONB_REJECTS = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f])/;
const NEEDS_CLEANING = /\u0000|[\ud800-\udfff]/;

/**
 * Text PostgreSQL can store: NUL (which neither `text` nor jsonb accepts) and lone surrogates (which are not valid
 * UTF-8) become U+FFFD, the replacement character, as a UTF-8 decoder would make them. Other text is returned as is.
 */
export function pgSafeText(text: string): string {
  return NEEDS_CLEANING.test(text) ? text.replace(/\u0000/g, '\ufffd').replace(LONE_SURROGATE, '\ufffd') : text;
}

function pgSafeValue(value: unknown): unknown {
  if (typeof value === 'string') return pgSafeText(value);
  if (Array.isArray(value)) return value.map(pgSafeValue);
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties, so a `__proto__` key stays data, as JSON.parse made it.
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [pgSafeText(key), pgSafeValue(inner)]));
  }
  return value;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The event as PostgreSQL can store it: every string (keys too) through {@link pgSafeText}. An event that needs
 * nothing, which is every event without NUL or lone surrogates, is returned unchanged, so its stored text is the
 * same as SQLite's. The check reads the serialized properties once; only a match pays for the deep copy.
 */
export function pgSafeEvent(event: NormalizedEvent): NormalizedEvent {
  const { event: name, distinctId, propertiesJson } = event;
  if (!JSONB_REJECTS.test(propertiesJson) && !NEEDS_CLEANING.test(name) && !NEEDS_CLEANING.test(distinctId)) return event;
  const properties = pgSafeValue(event.properties) as Record<string, unknown>;
  return {
    ...event,
    event: pgSafeText(name),
    distinctId: pgSafeText(distinctId),
    properties,
    propertiesJson: JSON.stringify(properties),
    // As validation derives them: it copied $set / $set_once into the properties.
    set: isObject(properties.$set) ? properties.$set : undefined,
    setOnce: isObject(properties.$set_once) ? properties.$set_once : undefined,
  };
}
