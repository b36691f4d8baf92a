import { gunzipSync } from 'node:zlib';
import { ApiError } from '../errors.ts';

/** Largest request body accepted on the wire. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Largest body after gunzip or base64; beyond it a request is treated as a zip bomb. */
export const MAX_DECODED_BYTES = 20 * 1024 * 1024;

export interface CaptureRequestMeta {
  contentType: string | undefined;
  contentEncoding: string | undefined;
  /** `?compression=` as posthog-js sends it: `gzip-js`, `gzip` or `base64`. */
  compression: string | undefined;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Whether `bytes` start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

function gunzip(bytes: Uint8Array): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: MAX_DECODED_BYTES });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new ApiError(413, 'payload_too_large', `body: decompressed payload exceeds ${MAX_DECODED_BYTES} bytes`);
    }
    throw new ApiError(400, 'invalid_gzip', 'body: malformed gzip data');
  }
}

function decodeBase64(text: string): Buffer {
  // A raw '+' that reached a form parser arrives as a space; line breaks come from MIME-style wrapping.
  const compact = text.replace(/[\r\n\t]/g, '').replace(/ /g, '+');
  if (!BASE64.test(compact)) throw new ApiError(400, 'invalid_base64', 'data: malformed base64');
  return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ApiError(400, 'invalid_utf8', 'body: not valid UTF-8');
  }
  if (text.trim() === '') throw new ApiError(400, 'invalid_json', 'body: empty');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `body: malformed JSON (${(err as Error).message.slice(0, 120)})`);
  }
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Turns a capture request body into parsed JSON, accepting every encoding the PostHog SDKs use:
 * plain JSON, gzip (header, `?compression=gzip-js`, or magic bytes), and form-encoded `data=<base64>`.
 */
export function decodeCaptureBody(raw: Uint8Array, meta: CaptureRequestMeta): unknown {
  const type = mediaType(meta.contentType);
  const encoding = (meta.contentEncoding ?? '').trim().toLowerCase();
  const compression = (meta.compression ?? '').toLowerCase();

  if (type === 'application/x-www-form-urlencoded') {
    const data = new URLSearchParams(Buffer.from(raw).toString('latin1')).get('data');
    if (data === null) throw new ApiError(400, 'invalid_request', 'data: missing form field');
    if (data.length > MAX_DECODED_BYTES) throw new ApiError(413, 'payload_too_large', 'data: too large');
    const trimmed = data.trim();
    // posthog-js sends base64; a plain JSON form value is accepted too, as PostHog does.
    const bytes = trimmed.startsWith('{') || trimmed.startsWith('[') ? Buffer.from(trimmed) : decodeBase64(trimmed);
    return parseJson(isGzip(bytes) ? gunzip(bytes) : bytes);
  }

  if (type !== '' && type !== 'application/json' && type !== 'text/plain' && type !== 'application/octet-stream') {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `content-type: ${type} is not supported; use application/json, text/plain or application/x-www-form-urlencoded`,
    );
  }
  if (encoding && encoding !== 'gzip' && encoding !== 'identity') {
    throw new ApiError(415, 'unsupported_media_type', `content-encoding: ${encoding} is not supported; use gzip`);
  }

  const gzipped = encoding === 'gzip' || compression === 'gzip-js' || compression === 'gzip' || isGzip(raw);
  if (gzipped) return parseJson(gunzip(raw));
  if (compression === 'base64') {
    const text = Buffer.from(raw).toString('latin1');
    const value = text.startsWith('data=') ? (new URLSearchParams(text).get('data') ?? '') : text;
    return parseJson(decodeBase64(value));
  }
  return parseJson(raw);
}
