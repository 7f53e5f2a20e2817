/**
 * Observability: logs with masked TVF payloads, Prometheus metrics, and lifecycles in the
 * Stately inspector. A layer beside config: it reads the bus (actors, machines, tvf).
 */
export { maskRulesOf, mergeMaskRules, type SensitiveFields } from './sensitive-fields.js';
export { PayloadMasks, MaskedPayload, isTvf, type PayloadMaskOptions } from './payload-masks.js';
export { maskingFormatters, maskLogObject } from './log-masking.js';
export { createLogger, processorLogger, isPretty, type LogFormat, type LoggerSettings } from './logger.js';
