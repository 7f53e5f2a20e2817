/**
 * A processor's spec, checked once when the processor is added, with its defaults filled.
 *
 * What `prosa.processor(name, spec)` was given, made into what the runtime is built from.
 * A bad field is a `BusError` of kind `InvalidOption` naming the processor and the field.
 */
import type { Logger } from 'pino';
import { messageOf } from '../tvf/unknown-value.js';
import { restartPolicy, type RestartPolicy } from '../machines/restart-policy.js';
import type { Adaptor, DirectiveHandler, ProcessorSpec } from './adaptor.js';
import { BusError } from './errors.js';

/** Default of `queue.maxInFlight`. */
export const DEFAULT_MAX_IN_FLIGHT = 10_000;
/** Default of `initTimeoutMs`. */
export const DEFAULT_INIT_TIMEOUT_MS = 30_000;

/** A checked {@link ProcessorSpec}, its defaults filled. */
export interface CheckedSpec {
  readonly adaptor: Adaptor;
  /** Services provided, duplicates dropped, in the order given. */
  readonly services: readonly string[];
  readonly directives: DirectiveHandler | undefined;
  readonly maxInFlight: number;
  readonly initTimeoutMs: number;
  readonly restart: RestartPolicy;
  /** The spec's logger, if it gave one. */
  readonly logger: Logger | undefined;
  /** True when the adaptor asks to be told of the service table (`serviceTableChanged`). */
  readonly tellsTable: boolean;
}

/** Checks `spec` for the processor `name`; throws a `BusError` (`InvalidOption`) naming the field at fault. */
export function checkSpec(name: string, spec: ProcessorSpec): CheckedSpec {
  const adaptor = spec?.adaptor;
  if (typeof adaptor?.processRequest !== 'function') {
    throw new BusError('InvalidOption', `processor '${name}': adaptor.processRequest must be a function`);
  }
  const hook: unknown = adaptor.serviceTableChanged;
  if (hook !== undefined && typeof hook !== 'function') {
    throw new BusError('InvalidOption', `processor '${name}': adaptor.serviceTableChanged must be a function, got ${messageOf(hook)}`);
  }
  if (spec.directives !== undefined && typeof spec.directives !== 'function') {
    throw new BusError('InvalidOption', `processor '${name}': directives must be a function`);
  }
  const services = Object.freeze([...new Set(spec.services ?? [])]);
  for (const service of services) {
    if (typeof service !== 'string' || service.length === 0) {
      throw new BusError('InvalidOption', `processor '${name}': service names must be non-empty strings, got ${messageOf(service)}`);
    }
  }
  return {
    adaptor,
    services,
    directives: spec.directives,
    maxInFlight: positiveInteger(name, 'queue.maxInFlight', spec.queue?.maxInFlight, DEFAULT_MAX_IN_FLIGHT),
    initTimeoutMs: positiveInteger(name, 'initTimeoutMs', spec.initTimeoutMs, DEFAULT_INIT_TIMEOUT_MS),
    restart: restartPolicy(spec.restart),
    logger: spec.logger,
    tellsTable: hook !== undefined,
  };
}

function positiveInteger(name: string, option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new BusError('InvalidOption', `processor '${name}': ${option} must be a positive integer, got ${messageOf(value)}`);
  }
  return value;
}
