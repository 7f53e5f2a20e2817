import { messageOf } from '../../../tvf/unknown-value.js';
/**
 * What a failed upstream call means for the request: the upstream could not be reached
 * (`unreachable`: refused, reset, no route, connect timeout) or something else went wrong
 * on the way (`protocol`). Deadline aborts are told apart by the caller, which owns the
 * abort signal.
 */

/** Error codes (node's and undici's) of a connection that could not be made or was lost. */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

/** The error code of `error`, looking through `cause` and `AggregateError.errors` (happy eyeballs). */
export function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current !== null && typeof current === 'object' && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const inner = (current as { errors?: unknown }).errors;
    current = Array.isArray(inner) && inner.length > 0 ? inner[0] : (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when `error` says the upstream could not be reached or the connection was lost. */
export function isUnreachable(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && UNREACHABLE_CODES.has(code);
}

/** A short text for `error`: its code and message, first line only. */
export function describeFailure(error: unknown): string {
  const code = errorCode(error);
  const message = messageOf(error);
  const line = (message.split('\n', 1)[0] ?? '').slice(0, 200);
  if (code === undefined) return line;
  return line.includes(code) ? line : `${code}${line === '' ? '' : `: ${line}`}`;
}
