/**
 * Settings of the `http-client` kind: the upstream it calls (`url`), the services it
 * provides and the path each calls, headers, the deadline and connection pool, the body
 * format, and when an upstream that stays down takes the processor out of the table.
 */
import { z } from 'zod';
import { MAX_TIMEOUT_MS } from '../../../actors/requests.js';
import { sensitive } from '../../../observability/secrets.js';
import {
  addProblem,
  bodyFormatSchema,
  checkFieldRefs,
  dictSchema,
  fieldRefSchema,
  headerNameSchema,
  headerValueSchema,
  methodSchema,
  tryDict,
  type FieldRef,
} from '../settings.js';

/** Default of `probe.waitMs`: how long a starting client waits for its upstream. */
export const DEFAULT_PROBE_WAIT_MS = 5_000;

function durationMs(doc: string, defaultMs: number) {
  return z.number().int().positive().max(MAX_TIMEOUT_MS).default(defaultMs).describe(doc);
}

/**
 * Header name -> value. Every value is sensitive (an API key can hide under any name):
 * masked in logs, the inspector, error messages and the CLI's output.
 */
const headersSchema = z.record(headerNameSchema, sensitive(headerValueSchema));

/** A path on the upstream, with `:name` placeholders filled from TVF fields. */
const upstreamPathSchema = z
  .string()
  .startsWith('/')
  .regex(/^[^?#\s]*(\?[^#\s]*)?$/, 'a path (and query), no fragment, no spaces');

/** One service the client provides: the upstream path it calls. */
export const clientServiceSchema = z.strictObject({
  name: z.string().min(1).describe('Service name, as requested on the bus.'),
  path: upstreamPathSchema.describe(
    'Path (and query) called on the upstream, appended to the path of `url`. `:name` segments are filled from `params`.',
  ),
  method: methodSchema.optional().describe("HTTP method for this service; defaults to the client's `method`."),
  headers: headersSchema.default({}).describe('Headers for this service, over the client\'s `headers`.'),
  params: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), fieldRefSchema)
    .default({})
    .describe('Placeholder `:name` of `path` -> TVF field (id or dict name) whose value fills it, URL-encoded.'),
});

/** A service of the client, defaults filled. */
export type ClientServiceSettings = z.output<typeof clientServiceSchema>;

/** Schema of the `http-client` kind's settings. */
export const httpClientSettingsSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/ })
      .describe('Upstream base URL: `http://host:port` with an optional path prefix. One connection pool per processor.'),
    services: z.array(clientServiceSchema).min(1).describe('Services this processor provides, each calling one upstream path.'),
    method: methodSchema.default('POST').describe('HTTP method of the calls (GET and HEAD send no body).'),
    headers: headersSchema.default({}).describe('Headers sent with every call (`content-type` and `accept` are set from `format`).'),
    format: bodyFormatSchema
      .default('json')
      .describe("Body format sent upstream: `json` (through `dict`) or `tvf`. Replies are read by their Content-Type, else in this format."),
    dict: dictSchema,
    timeoutMs: durationMs(
      "Longest wait for an upstream reply; the request's own remaining time is used when shorter. Past it the call is aborted and the request ends in `timeout`.",
      10_000,
    ),
    maxConnections: z.number().int().positive().max(10_000).default(16).describe('Most connections open to the upstream at once.'),
    keepAliveTimeoutMs: durationMs('Time an idle upstream connection is kept open for reuse.', 4_000),
    connectTimeoutMs: durationMs('Longest wait for a TCP connection to the upstream; past it the call is `unreachable`.', 2_000),
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .max(1024 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Largest upstream reply body read, in bytes; a larger one ends the request in `protocol`.'),
    statusField: fieldRefSchema
      .optional()
      .describe("TVF field of the reply that receives the upstream's HTTP status (2xx). Left out of the reply when not set."),
    downAfterMs: z
      .number()
      .int()
      .nonnegative()
      .max(MAX_TIMEOUT_MS)
      .default(3_000)
      .describe(
        'When calls have failed to reach the upstream (refused, reset, no connection) for this long with no answer in between, the processor crashes (recoverable): its services leave the table, so callers fail fast and other providers take the load. It restarts with backoff once a probe reaches the upstream again.',
      ),
    probe: z
      .strictObject({
        path: upstreamPathSchema
          .optional()
          .describe('Path probed with an HTTP `HEAD` (any answer counts as up). Without it, the probe is a TCP connection.'),
        timeoutMs: durationMs('Longest wait for one probe.', 1_000),
        waitMs: z
          .number()
          .int()
          .nonnegative()
          .max(MAX_TIMEOUT_MS)
          .default(DEFAULT_PROBE_WAIT_MS)
          .describe(
            "How long `init` keeps probing an upstream that is not up yet (every 50 ms, doubling up to 1 s) before it crashes (recoverable, restarted with backoff). Meanwhile the processor is not in the service table: callers get `unreachable` at once, and it joins the table as soon as a probe answers. 0 crashes at the first failed probe. Keep it below the processor's `initTimeoutMs`.",
          ),
      })
      .default({ timeoutMs: 1_000, waitMs: DEFAULT_PROBE_WAIT_MS })
      .describe('How `init` checks that the upstream is up, at start and at each restart.'),
  })
  .superRefine((settings, ctx) => {
    const seen = new Set<string>();
    settings.services.forEach((service, index) => {
      if (seen.has(service.name)) {
        addProblem(ctx, ['services', index, 'name'], 'a service name no other entry has', `${JSON.stringify(service.name)}, listed before`, service.name);
      }
      seen.add(service.name);
      const placeholders = new Set([...service.path.matchAll(/\/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!));
      for (const name of Object.keys(service.params)) {
        if (!placeholders.has(name)) {
          addProblem(ctx, ['services', index, 'params', name], `a placeholder of path ${service.path}`, JSON.stringify(name), name);
        }
      }
      for (const name of placeholders) {
        if (!(name in service.params)) {
          addProblem(ctx, ['services', index, 'params'], `a field for placeholder ':${name}' of path ${service.path}`, 'none', service.params);
        }
      }
    });
    const dict = tryDict(settings.dict);
    if (dict === undefined) return;
    const refs: [(string | number)[], FieldRef][] = [];
    if (settings.statusField !== undefined) refs.push([['statusField'], settings.statusField]);
    settings.services.forEach((service, index) => {
      for (const [name, ref] of Object.entries(service.params)) refs.push([['services', index, 'params', name], ref]);
    });
    checkFieldRefs(ctx, dict, refs);
  });

/** Settings of an http-client, defaults filled. */
export type HttpClientSettings = z.output<typeof httpClientSettingsSchema>;
