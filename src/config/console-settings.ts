/**
 * The `console` section of the settings: the live console and control API an instance
 * serves (`src/console`, a layer above this one; `prosa run --console` turns it on too).
 * One zod schema gives the section its defaults and documentation; `startConsole` takes
 * the same fields as options.
 *
 * ```yaml
 * console: { port: 8070 }                                  # http://127.0.0.1:8070/
 * console: { host: 0.0.0.0, token: "...", enableCall: true } # a token is required off loopback
 * ```
 */
import { z } from 'zod';
import { isLoopbackHost } from '../observability/http-guard.js';
import { DEFAULT_LATENCY_SAMPLE_EVERY } from '../observability/request-figures.js';
import { sensitive } from '../observability/secrets.js';

/** Default port of the console (`prosa run --console` without a port). */
export const DEFAULT_CONSOLE_PORT = 8070;
/** Default host of the console: loopback only. */
export const DEFAULT_CONSOLE_HOST = '127.0.0.1';

/** The issue a host off loopback without a token gets (`startConsole` answers it as `TokenRequired`). */
export const TOKEN_REQUIRED_MESSAGE = 'a host off loopback needs a token';

/** Every limit of the console, with its default: what bounds its memory however long it runs. */
export const DEFAULT_CONSOLE_LIMITS = Object.freeze({
  maxEvents: 1_000,
  maxEventBytes: 1024 * 1024,
  transitionsPerProcessor: 20,
  figuresHistory: 300,
  maxFiguresBytes: 8 * 1024 * 1024,
  maxServices: 200,
  maxStreamClients: 32,
  maxClientBacklogBytes: 1024 * 1024,
  maxBodyBytes: 1024 * 1024,
});

/** The console's limits, each a positive integer. */
export type ConsoleLimits = { -readonly [K in keyof typeof DEFAULT_CONSOLE_LIMITS]: number };

const LIMIT_DOCS: Readonly<Record<keyof ConsoleLimits, string>> = {
  maxEvents: 'Most recent events (lifecycle changes, settings applies) kept for `/api/v1/events` and the stream snapshot; the oldest go first.',
  maxEventBytes: 'Most bytes those events hold, as JSON; the oldest go first.',
  transitionsPerProcessor: 'Recent transitions kept per processor (`/api/v1/processors`).',
  figuresHistory: 'Figures ticks kept (one per `figuresIntervalMs`: 300 is five minutes at the default), for charts a page draws when it opens.',
  maxFiguresBytes: 'Most bytes those ticks hold, as JSON; the oldest go first.',
  maxServices: 'Most services with figures of their own; requests to further services are counted under `_other`.',
  maxStreamClients: 'Most clients of `/api/v1/stream` at once; one more is answered 503.',
  maxClientBacklogBytes: 'Largest send backlog of one stream client: one that does not read past it is disconnected.',
  maxBodyBytes: 'Largest request body (a call, an apply); a larger one is answered 413.',
};

function limit(name: keyof ConsoleLimits) {
  return z.number().int().positive().default(DEFAULT_CONSOLE_LIMITS[name]).describe(LIMIT_DOCS[name]);
}

/** `console.limits`. */
export const consoleLimitsSchema = z
  .strictObject({
    maxEvents: limit('maxEvents'),
    maxEventBytes: limit('maxEventBytes'),
    transitionsPerProcessor: limit('transitionsPerProcessor'),
    figuresHistory: limit('figuresHistory'),
    maxFiguresBytes: limit('maxFiguresBytes'),
    maxServices: limit('maxServices'),
    maxStreamClients: limit('maxStreamClients'),
    maxClientBacklogBytes: limit('maxClientBacklogBytes'),
    maxBodyBytes: limit('maxBodyBytes'),
  })
  .default({ ...DEFAULT_CONSOLE_LIMITS })
  .describe('What bounds the console\'s memory, however long it runs and however many clients connect.');

/** `console`: the live console and control API; leave the section out for none (or use `prosa run --console`). */
export const consoleSettingsSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Serve the console. `false` keeps the section but serves nothing (unless `prosa run --console` asks).'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .default(DEFAULT_CONSOLE_PORT)
      .describe('Port of the console page and its API; 0 picks a free one (the URL is logged).'),
    host: z
      .string()
      .min(1)
      .default(DEFAULT_CONSOLE_HOST)
      .describe('Interface the console listens on. Anything but loopback needs a `token`.'),
    token: sensitive(z.string().regex(/^\S+$/, 'a token without spaces').min(16, 'a token of at least 16 characters'))
      .optional()
      .describe(
        'When set, every API request must carry `Authorization: Bearer <token>` (or the cookie the page gets from `/?token=<token>`); others get 401. Required when `host` is not loopback.',
      ),
    allowedHosts: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'More names the console answers to in the `Host` header (`name` or `name:port`), and whose pages it takes requests from (`Origin`). Its own address always answers; any other Host gets 421.',
      ),
    enableCall: z
      .boolean()
      .default(false)
      .describe('Allow `POST /api/v1/call/<service>` (and `prosa call`): send a request to a service and see its (masked) reply. Off by default.'),
    enableApply: z
      .boolean()
      .default(false)
      .describe('Allow `POST /api/v1/apply`: apply a settings document to the running instance as a diff, checked as `prosa validate` checks a file. Off by default.'),
    latencySampleEvery: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_LATENCY_SAMPLE_EVERY)
      .describe("Latency sampling of the console's figures: about 1 request in this many is timed; counts stay exact. 1 times every request."),
    figuresIntervalMs: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(1_000)
      .describe('Interval of the figures ticks (requests per second, errors, latency percentiles per service).'),
    limits: consoleLimitsSchema,
  })
  .superRefine((console, ctx) => {
    if (console.token !== undefined || isLoopbackHost(console.host)) return;
    ctx.addIssue({
      code: 'custom',
      path: ['host'],
      message: TOKEN_REQUIRED_MESSAGE,
      params: {
        expected: 'a loopback address (127.0.0.1, localhost, ::1), or a `token` beside it: off loopback anyone who reaches the console could watch the instance',
        found: JSON.stringify(console.host),
      },
    });
  })
  .optional()
  .describe('The live console (a page and a JSON API under /api/v1) on 127.0.0.1; leave out for none.');

/** The `console` section, once validated (defaults filled). */
export type ConsoleSettings = NonNullable<z.output<typeof consoleSettingsSchema>>;
