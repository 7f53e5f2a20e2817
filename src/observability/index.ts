/**
 * Observability, the package's `prosa/observability` entry: logs with masked TVF payloads
 * and secrets, Prometheus metrics and their endpoint, and `Observability`, which builds
 * all of an instance's at once (the inspector itself is `prosa/inspector`, loaded only when
 * asked for). A layer below config, beside directives: it reads the bus (actors, machines,
 * tvf) and nothing above it.
 */
export { maskRulesOf, mergeMaskRules, type SensitiveFields } from './sensitive-fields.js';
export { PayloadMasks, MaskedPayload, payloadMasksOf, type PayloadMaskOptions } from './payload-masks.js';
export { maskingFormatters, maskLogObject } from './log-masking.js';
export {
  sensitive,
  hasSensitiveMark,
  isSecretKey,
  maskUrlCredentials,
  urlPasswords,
  redactSecrets,
  SECRET_MASK,
  SECRET_HEADER_NAMES,
  MIN_REDACTED_LENGTH,
} from './secrets.js';
export {
  createLogger,
  instanceLogging,
  processorLogger,
  type LogFormat,
  type LogDestination,
  type LogOutput,
  type LoggerSettings,
  type LoggedSettings,
  type InstanceLogging,
  type InstanceLoggingOptions,
} from './logger.js';
export { messageWithCauses, userErrorSerializer } from './log-errors.js';
export {
  RequestFigures,
  ServiceFigures,
  OUTCOMES,
  DEFAULT_LATENCY_BUCKETS,
  DEFAULT_MAX_SERVICES,
  DEFAULT_LATENCY_SAMPLE_EVERY,
  OTHER_SERVICES,
  type RequestFigureOptions,
} from './request-figures.js';
export { ProcessFigures, DEFAULT_EVENT_LOOP_RESOLUTION_MS, type ProcessSample, type EventLoopLag } from './process-figures.js';
export { LatencyHistogram } from './latency-histogram.js';
export { LatencyRecorder, type LatencySummary } from './latency-recorder.js';
export { registerMetricFamilies, processorsByState, type MetricSources } from './metric-families.js';
export {
  attachMetrics,
  ProsaMetrics,
  type MetricsOptions,
  type MetricsSnapshot,
  type LatencySnapshot,
  type Health,
} from './prosa-metrics.js';
export {
  MetricsEndpoint,
  DEFAULT_METRICS_PORT,
  DEFAULT_METRICS_HOST,
  type MetricsEndpointOptions,
} from './metrics-endpoint.js';
export {
  LOG_FORMATS,
  logFormatSchema,
  sensitiveFieldsSchema,
  serviceSettingsSchema,
  servicesSettingsSchema,
  metricsSettingsSchema,
  tracingSettingsSchema,
  TRACING_EXPORTERS,
  DEFAULT_OTLP_ENDPOINT,
  type TracingSettings,
  type ServicesSettings,
  type MetricsSettings,
} from './settings.js';
export { MissingPackageError, type MissingPackageErrorKind } from './optional-package.js';
export { Observability, type ObservabilityOptions, type ObservedBusOptions } from './observability.js';
export {
  observabilityOptions,
  parsePort,
  type ObservedSettings,
  type ObservabilityFlags,
} from './run-options.js';
export { otelTracing, withTraceIds, TRACER_NAME, SPAN_ATTRIBUTE, type OtelTracingOptions } from './tracing.js';
export { startTracing, LogSpanExporter, type TracingRun } from './tracing-setup.js';
export {
  readContextHeaders,
  writeContextHeaders,
  formatTraceparent,
  parseTraceparent,
  parseBaggage,
  CONTEXT_HEADER,
  MAX_TRACESTATE_CHARS,
  MAX_BAGGAGE_CHARS,
  type ReadContext,
  type IgnoredHeader,
  type HeaderReader,
} from './trace-context.js';
