/**
 * The injector's report: what it sent, what came back, at which rate and latency.
 */
import type { ServiceErrorKind } from '../../actors/errors.js';
import type { LatencySummary } from '../../observability/latency-recorder.js';

/** Figures of one injector since it was built. */
export interface InjectorReport {
  /** Always `'inj'`: tells this report from other kinds'. */
  kind: 'inj';
  /** The target service. */
  service: string;
  /** The configured rate, requests per second. */
  maxSpeed: number;
  /** The rate the regulator allows now (below `maxSpeed` after timeouts). */
  currentSpeed: number;
  /**
   * Time spent sending, in milliseconds: from the first send of each run to its end (or
   * now); the wait for the service before the first send is not counted.
   */
  activeMs: number;
  /** Requests sent. */
  sent: number;
  /** Requests that got a response. */
  responses: number;
  /** Requests that ended in an error, by kind. */
  errors: Record<ServiceErrorKind, number>;
  /**
   * `unreachable` errors before the service was ever reached, when the injector had to
   * probe for it (no directive registry); not counted in `errors`.
   * `sent = responses + errors + startupMisses + inFlight`.
   */
  startupMisses: number;
  /** Requests sent and not settled yet. */
  inFlight: number;
  /** Requests sent per second of `activeMs`: the achieved rate, what `maxSpeed` regulates. */
  sendRate: number;
  /** Responses per second of `activeMs`: the achieved TPS. */
  tps: number;
  /** Latency of the responses (errors excluded), in milliseconds. */
  latencyMs: LatencySummary;
}

/** True when `value` is an {@link InjectorReport}. */
export function isInjectorReport(value: unknown): value is InjectorReport {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'inj';
}
