/**
 * Observability of one instance, from its settings: the logger (masked payloads), the
 * metrics and their endpoint, the inspector server and link, the tracing. The CLI builds one before
 * the bus (the bus takes the logger, the inspect observer and the payload mask), then
 * attaches it to the bus (metrics), and closes it after the bus stopped.
 */
import { BusError } from '../actors/errors.js';
import type { LevelWithSilent, Logger } from 'pino';
import type { Prosa } from '../actors/prosa.js';
import type { InspectOption } from '../actors/inspect.js';
import type { Tvf } from '../tvf/tvf.js';
import type { Inspection } from './inspection.js';
import type { InspectorServer, InspectorServerOptions } from './inspector-server.js';
import { instanceLogging, processorLogger, type LoggerSettings, type LogFormat } from './logger.js';
import { MetricsEndpoint, type MetricsEndpointOptions } from './metrics-endpoint.js';
import type { MaskedPayload, PayloadMasks } from './payload-masks.js';
import { importOptional } from './optional-package.js';
import { attachMetrics, type MetricsOptions, type ProsaMetrics } from './prosa-metrics.js';
import type { SensitiveFields } from './sensitive-fields.js';
import type { TracingSettings } from './settings.js';
import { startTracing, type TracingRun } from './tracing-setup.js';
import type { TracingOption } from '../actors/request-context.js';

/** The optional packages the inspector needs. */
const INSPECTOR_PACKAGES = ['@statelyai/inspect', 'ws'];

/** Options of {@link Observability.start}: the observability sections of the settings, and the CLI flags. */
export interface ObservabilityOptions {
  /** Instance name. */
  name: string;
  /** Logging: level and format. */
  log?: { level?: LevelWithSilent; format?: LogFormat };
  /** Where log lines go. @defaultValue standard output */
  logDestination?: LoggerSettings['destination'];
  /**
   * A logger to use instead of building one (e.g. the CLI's, drawn above its status
   * line). Give it `maskingFormatters(masks)` with the same `masks`, or records it logs
   * are not masked.
   * @defaultValue `instanceLogging`'s: `createLogger` with `log` and the masks of `services`
   */
  logger?: Logger;
  /**
   * The masks to use instead of building them from `services`.
   * @defaultValue `payloadMasksOf(services)`
   */
  masks?: PayloadMasks;
  /** Service name -> settings; `sensitive` fields are masked in logs. */
  services?: Readonly<Record<string, { readonly sensitive?: SensitiveFields }>>;
  /** Metrics and their HTTP endpoint; leave out for none. */
  metrics?: MetricsEndpointOptions & MetricsOptions;
  /**
   * Starts an inspector server (page and WebSocket) and sends the lifecycles to it; leave
   * out for none. `requests` also sends each request (see `InspectionOptions.requests`).
   */
  /** Traces requests with OpenTelemetry (the `tracing` settings section); leave out for none. */
  tracing?: TracingSettings;
  inspect?: Pick<InspectorServerOptions, 'port' | 'host' | 'inspectorUrl' | 'allowedHosts' | 'maxMessageBytes' | 'maxReplayBytes'> & {
    requests?: boolean;
  };
}

/** What {@link Observability.busOptions} gives `createProsa`. */
export interface ObservedBusOptions {
  logger: Logger;
  inspect: InspectOption | undefined;
  maskPayload: (service: string, payload: Tvf) => MaskedPayload;
  tracing: TracingOption | undefined;
}

/** The observability of one instance. Build it with {@link Observability.start}. */
export class Observability {
  /** The instance logger: masks every record it is given. */
  readonly logger: Logger;
  /** The sensitive fields of every service. */
  readonly masks: PayloadMasks;
  /** The inspector server, when asked for: print its `pageUrl` for the user. */
  readonly inspector: InspectorServer | undefined;
  /** The link that sends lifecycles to the inspector server. */
  readonly inspection: Inspection | undefined;
  /** The tracing of the instance, when `tracing` turns it on. */
  readonly tracing: TracingRun | undefined;
  /** The bus's metrics, once attached (when `metrics` was given). */
  metrics: ProsaMetrics | undefined;
  /** The metrics endpoint, once attached. */
  endpoint: MetricsEndpoint | undefined;
  private readonly options: ObservabilityOptions;
  private closing: Promise<void> | undefined;

  private constructor(
    options: ObservabilityOptions,
    masks: PayloadMasks,
    logger: Logger,
    inspector: InspectorServer | undefined,
    inspection: Inspection | undefined,
    tracing: TracingRun | undefined,
  ) {
    this.tracing = tracing;
    this.options = options;
    this.masks = masks;
    this.logger = logger;
    this.inspector = inspector;
    this.inspection = inspection;
  }

  /**
   * Builds the logger and masks; with `inspect`, loads the inspector (`prosa/inspector`),
   * starts its server and connects to it with the server's token (resolves once
   * connected). Rejects when the inspector port is taken, and with a
   * `MissingPackageError` when `inspect` is asked for but `@statelyai/inspect` or `ws` is
   * not installed.
   */
  static async start(options: ObservabilityOptions): Promise<Observability> {
    const { masks, logger } = instanceLogging(options, { masks: options.masks, logger: options.logger, destination: options.logDestination });
    let inspector: InspectorServer | undefined;
    let inspection: Inspection | undefined;
    if (options.inspect !== undefined) {
      const { InspectorServer, createInspection } = await importOptional('the inspector (--inspect)', INSPECTOR_PACKAGES, () => import('./inspector.js'));
      const { requests, ...serverOptions } = options.inspect;
      inspector = await InspectorServer.listen({ ...serverOptions, logger });
      inspection = createInspection({
        url: inspector.url,
        token: inspector.token,
        requests,
        maxMessageBytes: serverOptions.maxMessageBytes,
        logger,
      });
      try {
        await inspection.ready();
      } catch (error) {
        await inspection.close();
        await inspector.close();
        throw error;
      }
    }
    const tracing = await startTracing(options.tracing, options.name, logger);
    const observability = new Observability(options, masks, logger, inspector, inspection, tracing);
    if (inspector !== undefined) {
      observability.logger.info({ url: inspector.pageUrl }, `Stately inspector: open ${inspector.pageUrl}`);
    }
    return observability;
  }

  /** The XState inspect observer for `createProsa`, when inspection is on. */
  get inspect(): InspectOption | undefined {
    return this.inspection?.inspect;
  }

  /** A record of `service` as logs show it: masked. */
  readonly maskPayload = (service: string, payload: Tvf): MaskedPayload => this.masks.mask(service, payload);

  /** `createProsa` options that route the bus's logs, inspection and payload logs through this. */
  busOptions(): ObservedBusOptions {
    return { logger: this.logger, inspect: this.inspect, maskPayload: this.maskPayload, tracing: this.tracing?.option };
  }

  /** The logger of processor `name`, at `level` when given. */
  processorLogger(name: string, level?: LevelWithSilent): Logger {
    return processorLogger(this.logger, name, level);
  }

  /**
   * Starts measuring `prosa` and serves its metrics, when `metrics` was given (else does
   * nothing). The endpoint closes when the bus stops. Rejects when the port is taken.
   * Call it once.
   */
  async attach(prosa: Prosa): Promise<void> {
    const options = this.options.metrics;
    if (options === undefined) return;
    if (this.metrics !== undefined) throw new BusError('InvalidOption', `observability of '${this.options.name}' is already attached to a bus`);
    this.metrics = attachMetrics(prosa, options);
    try {
      this.endpoint = await MetricsEndpoint.listen(this.metrics, options);
    } catch (error) {
      this.metrics.close();
      this.metrics = undefined;
      throw error;
    }
    this.logger.info({ url: this.endpoint.url }, `metrics on ${this.endpoint.url}/metrics, health on ${this.endpoint.url}/health`);
  }

  /**
   * Closes the endpoint, stops the metrics, sends the last inspection events, closes
   * the inspector server and sends the last spans. Call it after the bus stopped. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.endpoint?.close();
      this.metrics?.close();
      await this.inspection?.close();
      await this.inspector?.close();
      await this.tracing?.close();
    })();
    return this.closing;
  }
}
