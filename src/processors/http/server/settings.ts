/**
 * Settings of the `http-server` kind: where it listens, its routes (method + path ->
 * service, with the path parameters, query parameters and headers each route copies
 * into TVF fields), the body formats, and the limits that keep slow or greedy clients
 * from holding it.
 */
import { z } from 'zod';
import { MAX_TIMEOUT_MS } from '../../../actors/requests.js';
import {
  addProblem,
  bodyFormatSchema,
  checkFieldRefs,
  dictSchema,
  fieldRefSchema,
  headerNameSchema,
  methodSchema,
  tryDict,
  type FieldRef,
} from '../settings.js';
import { routeTableProblems } from './routes.js';

function durationMs(doc: string, defaultMs: number) {
  return z.number().int().positive().max(MAX_TIMEOUT_MS).default(defaultMs).describe(doc);
}

/** One route: `method` + `path` -> `service`. */
export const routeSchema = z.strictObject({
  method: methodSchema.default('POST').describe('HTTP method of the route.'),
  path: z
    .string()
    .startsWith('/')
    .describe('Path of the route, find-my-way syntax: `/pay`, `/accounts/:id`, `/files/*`. No query string.'),
  service: z.string().min(1).describe('Service the request goes to on the bus.'),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(MAX_TIMEOUT_MS)
    .optional()
    .describe("Deadline of the bus request; past it the answer is 504. Defaults to the instance's requestTimeoutMs."),
  params: z
    .record(z.string().min(1), fieldRefSchema)
    .default({})
    .describe('Path parameter name -> TVF field (id or dict name) that receives its value as a string.'),
  query: z
    .record(z.string().min(1), fieldRefSchema)
    .default({})
    .describe('Query parameter name -> TVF field that receives its value (repeated parameters joined with `,`).'),
  headers: z
    .record(headerNameSchema, fieldRefSchema)
    .default({})
    .describe('Request header name (any case) -> TVF field that receives its value.'),
});

/** A route, defaults filled. */
export type RouteSettings = z.output<typeof routeSchema>;

/** Schema of the `http-server` kind's settings. */
export const httpServerSettingsSchema = z
  .strictObject({
    listen: z
      .strictObject({
        host: z
          .string()
          .min(1)
          .default('127.0.0.1')
          .describe('Address to listen on. Loopback by default; `0.0.0.0` or `::` only when you mean every interface.'),
        port: z.number().int().min(0).max(65_535).describe('TCP port; 0 picks a free one (logged at start).'),
      })
      .describe('Where the server listens.'),
    routes: z.array(routeSchema).min(1).describe('Routes, method + path -> service. A path with no route is 404, another method 405.'),
    dict: dictSchema,
    defaultFormat: bodyFormatSchema
      .default('json')
      .describe('Format of a request body sent without `Content-Type`: `json` or `tvf` (ProSA text form).'),
    statusField: fieldRefSchema
      .optional()
      .describe('TVF field of the reply that holds its HTTP status (200-599); it is taken out of the body. Without it, replies are 200.'),
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .max(1024 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Largest request body, in bytes; a larger one is answered 413 and its connection closed.'),
    maxHeaderBytes: z
      .number()
      .int()
      .positive()
      .max(1024 * 1024)
      .default(16 * 1024)
      .describe("Largest request head (request line and headers), in bytes; a larger one is answered 431 (node's `maxHeaderSize`)."),
    headersTimeoutMs: durationMs(
      "Time a client gets to send the whole request head; past it the answer is 408 and the socket closes (node's `headersTimeout`: a slowloris guard).",
      10_000,
    ),
    requestTimeoutMs: durationMs(
      "Time a client gets to send the whole request, body included; past it the answer is 408 and the socket closes (node's `requestTimeout`). At least `headersTimeoutMs`.",
      30_000,
    ),
    keepAliveTimeoutMs: durationMs('Time an idle keep-alive connection stays open waiting for its next request.', 5_000),
    idleSocketTimeoutMs: z
      .number()
      .int()
      .nonnegative()
      .max(MAX_TIMEOUT_MS)
      .default(120_000)
      .describe(
        "Time a socket may stay without any traffic (a client that does not read its reply, say) before it is destroyed (node's `server.timeout`); 0 disables. Keep it above every route's timeoutMs.",
      ),
    maxConnections: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Most open connections; further ones are refused (closed at once). Unbounded when left out.'),
    shutdownGraceMs: durationMs(
      "On stop: time in-flight requests get to be answered before the remaining connections are closed. Keep it below the instance's shutdown.terminateTimeoutMs.",
      1_500,
    ),
    retryAfterSeconds: z
      .number()
      .int()
      .nonnegative()
      .default(1)
      .describe('`Retry-After` sent with 429 (every provider of the service is at its maxInFlight).'),
  })
  .superRefine((settings, ctx) => {
    if (settings.requestTimeoutMs < settings.headersTimeoutMs) {
      addProblem(ctx, ['requestTimeoutMs'], `a number >= headersTimeoutMs (${settings.headersTimeoutMs})`, String(settings.requestTimeoutMs), settings.requestTimeoutMs);
    }
    for (const problem of routeTableProblems(settings.routes)) {
      addProblem(ctx, ['routes', ...problem.path], problem.expected, problem.found, undefined);
    }
    const dict = tryDict(settings.dict);
    if (dict === undefined) return; // dictSchema reports it
    const refs: [(string | number)[], FieldRef][] = [];
    if (settings.statusField !== undefined) refs.push([['statusField'], settings.statusField]);
    settings.routes.forEach((route, index) => {
      for (const part of ['params', 'query', 'headers'] as const) {
        for (const [name, ref] of Object.entries(route[part])) refs.push([['routes', index, part, name], ref]);
      }
    });
    checkFieldRefs(ctx, dict, refs);
  });

/** Settings of an http-server, defaults filled. */
export type HttpServerSettings = z.output<typeof httpServerSettingsSchema>;
