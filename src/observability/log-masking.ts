/**
 * Masking in the logger itself: pino formatters that replace every TVF record a log line
 * carries with its masked text before the line is written, whatever the key it sits under.
 * A record next to a `service` key is masked as a record of that service. Secrets of
 * settings are masked on the way too: a field named as a secret header (`authorization`,
 * ...) and the password of any URL in a text.
 */
import type { LoggerOptions } from 'pino';
import { isSecretKey, maskUrlCredentials, SECRET_MASK } from './secrets.js';
import { isTvf } from '../tvf/is-tvf.js';
import { MaskedPayload, type PayloadMasks } from './payload-masks.js';

/** How deep into a log line's plain objects and arrays records are looked for. */
const MAX_DEPTH = 4;

/** Plain objects and arrays are walked; anything else (errors, class instances) is not. */
function isPlainContainer(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `value` with every record inside it masked: the same object when it holds none, else a
 * shallow copy (the caller's objects are never changed).
 */
function maskValue(masks: PayloadMasks, value: unknown, service: string | undefined, depth: number): unknown {
  if (typeof value === 'string') return maskUrlCredentials(value);
  if (typeof value !== 'object' || value === null || value instanceof MaskedPayload) return value;
  if (isTvf(value)) return masks.mask(service, value);
  if (depth >= MAX_DEPTH || !isPlainContainer(value)) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const masked = maskValue(masks, value[i], service, depth + 1);
      if (masked !== value[i]) (copy ??= [...value])[i] = masked;
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  const own = typeof record['service'] === 'string' ? (record['service'] as string) : service;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const masked = isSecretKey(key) && record[key] !== undefined ? SECRET_MASK : maskValue(masks, record[key], own, depth + 1);
    if (masked !== record[key]) (copy ??= { ...record })[key] = masked;
  }
  return copy ?? value;
}

/**
 * The object of a log call with every record in it masked (`logger.info(tvf)` becomes
 * `{ payload: <masked> }`). Returns `object` itself when it carries no record.
 */
export function maskLogObject(masks: PayloadMasks, object: Record<string, unknown>): Record<string, unknown> {
  if (isTvf(object)) return { payload: masks.mask(undefined, object) };
  return maskValue(masks, object, undefined, 0) as Record<string, unknown>;
}

/**
 * pino `formatters` that mask the records of every log call. They run only for lines whose
 * level is enabled, so a disabled level costs nothing. Child bindings are not masked (pino
 * formats them once, outside this hook): bind names and ids to a child, never a record.
 */
export function maskingFormatters(masks: PayloadMasks): NonNullable<LoggerOptions['formatters']> {
  return {
    log: (object) => maskLogObject(masks, object),
  };
}
