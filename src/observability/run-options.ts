/**
 * From a validated settings file and the `prosa run` flags to {@link ObservabilityOptions}:
 * `--metrics-port <port>` serves metrics (over the settings' `metrics.port`, adding the
 * section when the file has none), `--inspect [port]` starts the inspector server.
 */
import { BusError } from '../actors/errors.js';
import type { LevelWithSilent } from 'pino';
import { DEFAULT_INSPECTOR_PORT } from './inspector-defaults.js';
import type { LogFormat } from './logger.js';
import type { ObservabilityOptions } from './observability.js';
import type { MetricsSettings, ServicesSettings, TracingSettings } from './settings.js';

/** The observability parts of validated instance settings. */
export interface ObservedSettings {
  name: string;
  log: { level: LevelWithSilent; format?: LogFormat };
  services?: ServicesSettings;
  metrics?: MetricsSettings;
  tracing?: TracingSettings;
}

/** The observability flags of `prosa run`. */
export interface ObservabilityFlags {
  /** `--metrics-port <port>`: serve metrics on this port (0 picks one). */
  metricsPort?: number;
  /** `--inspect [port]`: `true` for the default port (8080), a number for that port. */
  inspect?: boolean | number;
  /** `--inspect-requests`: show each request in the inspector too. */
  inspectRequests?: boolean;
}

/**
 * Parses a port given on the command line: an integer in 0..65535.
 * @throws BusError `InvalidOption` naming the flag and the value.
 */
export function parsePort(flag: string, text: string): number {
  const port = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isInteger(port) || port > 65_535) {
    throw new BusError('InvalidOption', `${flag} takes a port, an integer in 0..65535; got '${text}'`);
  }
  return port;
}

/** Observability options for an instance run with `flags`. */
export function observabilityOptions(settings: ObservedSettings, flags: ObservabilityFlags = {}): ObservabilityOptions {
  const options: ObservabilityOptions = { name: settings.name, log: settings.log, services: settings.services, tracing: settings.tracing };
  if (settings.metrics !== undefined || flags.metricsPort !== undefined) {
    options.metrics = { ...settings.metrics, ...(flags.metricsPort === undefined ? {} : { port: flags.metricsPort }) };
  }
  if (flags.inspect !== undefined && flags.inspect !== false) {
    options.inspect = {
      port: flags.inspect === true ? DEFAULT_INSPECTOR_PORT : flags.inspect,
      requests: flags.inspectRequests ?? false,
    };
  }
  return options;
}
