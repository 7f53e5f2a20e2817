/**
 * What an http-server answers: the status of each outcome, and the small JSON error body
 * (`{"error": kind, "message": ...}`) every error carries: never a stack trace.
 */
import type { ServiceErrorKind } from '../../../actors/errors.js';

/**
 * Errors the HTTP layer itself answers, before or after the bus. Spelt as the
 * service-error kinds are (lower camelCase), so an error body has one casing whatever its
 * kind.
 */
export type HttpErrorKind =
  /** The body is not well-formed in its format, or does not fit the dictionary (400). */
  | 'malformedBody'
  /** The URL cannot be decoded (400). */
  | 'badUrl'
  /** The request line or headers could not be parsed (400). */
  | 'badRequest'
  /** No route has that path (404). */
  | 'notFound'
  /** Routes have that path, with other methods; `Allow` lists them (405). */
  | 'methodNotAllowed'
  /** The client did not send its request in time (408). */
  | 'requestTimeout'
  /** The body is larger than `maxBodyBytes` (413). */
  | 'bodyTooLarge'
  /** `Content-Type` names neither body format (415). */
  | 'unsupportedMediaType'
  /** The request head is larger than `maxHeaderBytes` (431). */
  | 'headersTooLarge'
  /** The bus rejected with something else than a `ServiceError` (500); never happens, says nothing more. */
  | 'internalError';

/** Status of each HTTP-layer error. */
export const HTTP_ERROR_STATUS: Readonly<Record<HttpErrorKind, number>> = Object.freeze({
  malformedBody: 400,
  badUrl: 400,
  badRequest: 400,
  notFound: 404,
  methodNotAllowed: 405,
  requestTimeout: 408,
  bodyTooLarge: 413,
  unsupportedMediaType: 415,
  headersTooLarge: 431,
  internalError: 500,
});

/**
 * Status of each way a bus request can fail: the deadline passed (504), no provider
 * (503), the provider's adaptor failed (502), every provider full (429, with
 * `Retry-After`), the bus stopping (503, with `Connection: close`).
 */
export const SERVICE_ERROR_STATUS: Readonly<Record<ServiceErrorKind, number>> = Object.freeze({
  timeout: 504,
  unreachable: 503,
  protocol: 502,
  overloaded: 429,
  shutdown: 503,
});

/** The JSON error body: `{"error": kind, "message": message}`. */
export function errorBody(kind: HttpErrorKind | ServiceErrorKind, message: string): string {
  return JSON.stringify({ error: kind, message });
}

/**
 * The HTTP status a reply's status field holds, or a message saying why it holds none:
 * the field must read as an integer 200-599.
 */
export function statusOfField(text: string): number | string {
  const status = /^[2-5]\d\d$/.test(text) ? Number(text) : NaN;
  return Number.isNaN(status) ? `the reply's status field holds '${text.slice(0, 16)}', not an HTTP status 200-599` : status;
}
