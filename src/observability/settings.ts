/**
 * The settings file's observability sections, as zod schemas the config layer adds to its
 * instance schema: `metrics`, `services` (sensitive fields per service) and `log.format`.
 *
 * ```yaml
 * log: { level: info, format: auto }
 * metrics: { port: 9464 }              # serves /metrics and /health on 127.0.0.1:9464
 * services:
 *   PAYMENT: { sensitive: [2, 35, { 10: [201] }] }
 * ```
 */
import { z } from 'zod';
import { checkedDictSchema, fieldIdSchema } from './dict-settings.js';
import { sensitive } from './secrets.js';
import type { SensitiveFields } from './sensitive-fields.js';
import { DEFAULT_LATENCY_BUCKETS, DEFAULT_LATENCY_SAMPLE_EVERY, DEFAULT_MAX_SERVICES } from './request-figures.js';
import { DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT } from './metrics-endpoint.js';

/** Ways of writing log lines. */
export const LOG_FORMATS = ['json', 'pretty', 'auto'] as const;

/** `log.format`. */
export const logFormatSchema = z
  .enum(LOG_FORMATS)
  .optional()
  .describe(
    'How log lines are written: json (one JSON object per line), pretty (readable text, coloured on a terminal), or auto (pretty on a terminal, else json). Left out: json, except `prosa run`, which writes pretty lines above its status line on a terminal.',
  );

/** A list of sensitive field ids; an entry `{ 10: [201] }` names fields of the nested buffer at 10. */
export const sensitiveFieldsSchema: z.ZodType<SensitiveFields> = z
  .array(z.union([fieldIdSchema, z.record(z.string().regex(/^(0|[1-9][0-9]*)$/), z.lazy(() => sensitiveFieldsSchema))]))
  .meta({ title: 'list of field ids' });

/** `services.<name>`: what the instance knows of one service. */
export const serviceSettingsSchema = z
  .strictObject({
    sensitive: sensitiveFieldsSchema
      .default([])
      .describe('Field ids masked wherever a record of this service is logged: a string field is filled with *, any other removed; `{ 10: [201] }` masks field 201 of the buffer at field 10.'),
    dict: checkedDictSchema
      .optional()
      .describe(
        "Names of this service's TVF fields in the JSON form of the console's calls (`prosa call`, `POST /api/v1/call/<service>`): `name: id`, or `name: { id, type, fields }`. Left out: JSON keys are the decimal field ids.",
      ),
  })
  .describe('One service.');

/** `services`: service name -> its settings. */
export const servicesSettingsSchema = z
  .record(z.string().min(1), serviceSettingsSchema)
  .default({})
  .describe(
    'Settings per service name: `{ sensitive: [2, 35, { 10: [201] }] }` lists the field ids masked wherever a record of that service is logged (a string filled with *, any other value removed; `{ 10: [201] }` is field 201 of the buffer at 10).',
  );

/** `metrics`: the Prometheus endpoint; leave the section out for none. */
export const metricsSettingsSchema = z
  .strictObject({
    port: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .default(DEFAULT_METRICS_PORT)
      .describe('Port of /metrics (Prometheus text format) and /health; 0 picks a free one.'),
    host: z
      .string()
      .min(1)
      .default(DEFAULT_METRICS_HOST)
      .describe('Interface the endpoint listens on; loopback unless you mean to expose it.'),
    token: sensitive(z.string().regex(/^\S+$/, 'a token without spaces'))
      .optional()
      .describe('When set, every request must carry `Authorization: Bearer <token>`; others get 401. Left out: no token asked.'),
    allowedHosts: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'More names the endpoint answers to in the `Host` header (`name` or `name:port`), e.g. the DNS name Prometheus scrapes it by. Its own address always answers (with `localhost`, `127.0.0.1`, `[::1]` on loopback); any other Host gets 421.',
      ),
    latencyBuckets: z
      .array(z.number().positive())
      .min(1)
      .default([...DEFAULT_LATENCY_BUCKETS])
      .refine((bounds) => bounds.every((b, i) => i === 0 || b > bounds[i - 1]!), { message: 'buckets must be ascending' })
      .describe('Upper bounds of the request latency histogram, in seconds, ascending.'),
    latencySampleEvery: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_LATENCY_SAMPLE_EVERY)
      .describe(
        'Latency sampling: about 1 request in this many (random gaps) is timed into the latency histogram; counts by outcome stay exact. 1 times every request, at about 100 ns of clock reads each.',
      ),
    maxServices: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_MAX_SERVICES)
      .describe('Most services counted apart; requests to further services are counted under `_other`.'),
  })
  .optional()
  .describe('Prometheus metrics over HTTP; leave out for none.');

/** Settings of the services, once validated. */
export type ServicesSettings = z.output<typeof servicesSettingsSchema>;
/** Settings of the metrics endpoint, once validated. */
export type MetricsSettings = NonNullable<z.output<typeof metricsSettingsSchema>>;

/** Where `tracing.exporter` sends spans. */
export const TRACING_EXPORTERS = ['otlp', 'console', 'none'] as const;

/** Default of `tracing.endpoint`: an OpenTelemetry Collector (or Jaeger, Tempo) on this machine, OTLP over HTTP. */
export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318/v1/traces';

/** `tracing`: OpenTelemetry spans of every request; leave the section out for none. */
export const tracingSettingsSchema = z
  .strictObject({
    exporter: z
      .enum(TRACING_EXPORTERS)
      .default('otlp')
      .describe(
        'Where spans go: otlp (OTLP over HTTP, JSON, to `endpoint`: an OpenTelemetry Collector, Jaeger or Grafana Tempo), console (one log line per span, at info), or none (tracing off, as if the section were left out).',
      ),
    endpoint: z
      .url({ protocol: /^https?$/ })
      .default(DEFAULT_OTLP_ENDPOINT)
      .describe('URL the otlp exporter posts spans to, path included (`/v1/traces` on a collector).'),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'an HTTP header name'), sensitive(z.string()))
      .optional()
      .describe('HTTP headers sent with each export (an `Authorization` for a hosted Tempo, say); their values are secrets, never logged.'),
    sampleRatio: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe(
        'Share of new traces to record, in [0, 1]: 1 traces every request, 0 none (yet a request that continues a sampled trace from NATS or HTTP is still traced).',
      ),
    serviceName: z
      .string()
      .min(1)
      .optional()
      .describe("The `service.name` resource attribute of the spans (how Jaeger and Tempo group them); defaults to the instance's name."),
  })
  .optional()
  .describe('OpenTelemetry traces of the requests (docs/tracing.md); leave out for none.');

/** Settings of tracing, once validated. */
export type TracingSettings = NonNullable<z.output<typeof tracingSettingsSchema>>;
