/**
 * Body formats of the HTTP kinds, chosen by media type: ProSA's TVF text form
 * (`application/x-prosa-tvf`) and JSON (`application/json`, or any `application/*+json`)
 * named through a `TvfDict`. Reading `Content-Type` and negotiating `Accept`.
 */

/** A body format: `tvf` is ProSA's text form, `json` a JSON object named by the dictionary. */
export type BodyFormat = 'json' | 'tvf';

/** Every body format, in the order settings list them. */
export const BODY_FORMATS = ['json', 'tvf'] as const satisfies readonly BodyFormat[];

/** The media type of each format, as written in `Content-Type` and `Accept`. */
export const MEDIA_TYPES: Readonly<Record<BodyFormat, string>> = Object.freeze({
  json: 'application/json',
  tvf: 'application/x-prosa-tvf',
});

/** The `Content-Type` sent with a body of each format (always UTF-8). */
export const CONTENT_TYPES: Readonly<Record<BodyFormat, string>> = Object.freeze({
  json: 'application/json; charset=utf-8',
  tvf: 'application/x-prosa-tvf; charset=utf-8',
});

/** The format of a bare media type (no parameters, lower case), or `undefined` when it is neither. */
function formatOfMediaType(type: string): BodyFormat | undefined {
  if (type === 'application/json') return 'json';
  if (type === 'application/x-prosa-tvf') return 'tvf';
  if (type.startsWith('application/') && type.endsWith('+json')) return 'json';
  return undefined;
}

/** The bare media type of a header value: parameters dropped, trimmed, lower case. */
function bareMediaType(value: string): string {
  const semicolon = value.indexOf(';');
  return (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * The format a `Content-Type` header names: `undefined` when it is absent or empty,
 * `null` when it names a media type neither format reads. Parameters (`charset`) are
 * ignored: bodies are always read as UTF-8.
 */
export function formatOfContentType(header: string | undefined): BodyFormat | undefined | null {
  if (header === undefined) return undefined;
  // Fast path: the exact strings prosa itself sends.
  if (header === CONTENT_TYPES.json || header === MEDIA_TYPES.json) return 'json';
  if (header === CONTENT_TYPES.tvf || header === MEDIA_TYPES.tvf) return 'tvf';
  const type = bareMediaType(header);
  if (type === '') return undefined;
  return formatOfMediaType(type) ?? null;
}

/**
 * The format to answer in, from an `Accept` header: the format of the media range with
 * the highest `q` (ties go to the earlier one). `*\/*` and `application/*` stand for
 * `fallback` (the request's own format); ranges `q=0` excludes are skipped. When `Accept`
 * is absent or names neither format, the answer is `fallback`: a lenient gateway answers
 * in a format it has rather than `406`.
 */
export function formatForAccept(accept: string | undefined, fallback: BodyFormat): BodyFormat {
  if (accept === undefined || accept === '*/*' || accept === '') return fallback;
  if (accept === MEDIA_TYPES.json) return 'json';
  if (accept === MEDIA_TYPES.tvf) return 'tvf';
  let best: BodyFormat | undefined;
  let bestQ = 0;
  for (const range of accept.split(',')) {
    const parts = range.split(';');
    const type = parts[0]!.trim().toLowerCase();
    const format = type === '*/*' || type === 'application/*' ? fallback : formatOfMediaType(type);
    if (format === undefined) continue;
    let q = 1;
    for (let i = 1; i < parts.length; i++) {
      const param = parts[i]!.trim();
      if (param.startsWith('q=') || param.startsWith('Q=')) {
        const value = Number(param.slice(2));
        q = Number.isFinite(value) ? value : 0;
      }
    }
    if (q > bestQ) {
      best = format;
      bestQ = q;
    }
  }
  return best ?? fallback;
}
