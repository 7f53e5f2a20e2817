/**
 * The settings file's schema: the instance (name, plugins, shutdown, log, request timeout) and its
 * processors (name, kind, settings, restart, queue, init timeout, threads, log). Each processor's
 * `settings` block is checked against its kind's own schema by the validator.
 *
 * The instance schema is built from {@link INSTANCE_SECTIONS}: adding a top-level section
 * (`metrics`, `transport`, ...) is one line there.
 */
import { z } from 'zod';
import { DEFAULT_RESTART_POLICY } from '../machines/restart-policy.js';
import { DEFAULT_INIT_TIMEOUT_MS, DEFAULT_MAX_IN_FLIGHT } from '../actors/processor-spec.js';
import { MAX_TIMEOUT_MS } from '../actors/requests.js';
import { consoleSettingsSchema } from './console-settings.js';
import { transportSettingsSchema } from './transport-settings.js';
import { logFormatSchema, metricsSettingsSchema, servicesSettingsSchema, tracingSettingsSchema } from '../observability/settings.js';

/** pino log levels, most to least severe, and `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A pino log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A duration in milliseconds: a positive integer a Node.js timer can wait. */
function durationMs(doc: string, defaultMs: number) {
  return z.number().int().positive().max(MAX_TIMEOUT_MS).default(defaultMs).describe(doc);
}

/** Processor and instance names: what may appear in logs, metrics and environment variables. */
export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** `shutdown`: how the instance stops. */
export const shutdownSchema = z
  .strictObject({
    graceMs: durationMs('Time in-flight requests get to finish once a processor drains; past it they end in `shutdown`.', 5_000),
    terminateTimeoutMs: durationMs("Time each adaptor's `terminate` gets; past it the processor counts as stopped.", 2_000),
  })
  .default({ graceMs: 5_000, terminateTimeoutMs: 2_000 })
  .describe('How the instance stops.');

/** `log`: the instance's logging. */
export const logSchema = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default('info').describe('Log level of the instance (pino): fatal, error, warn, info, debug, trace or silent.'),
    format: logFormatSchema,
  })
  .default({ level: 'info' })
  .describe('Logging.');

/** `processors[].restart`: the restart policy of one processor. */
export const restartSchema = z
  .strictObject({
    delayMs: z
      .number()
      .int()
      .nonnegative()
      .max(MAX_TIMEOUT_MS)
      .default(DEFAULT_RESTART_POLICY.delayMs)
      .describe('Delay before the first restart after a crash; doubles with each crash in a row.'),
    maxDelayMs: z
      .number()
      .int()
      .nonnegative()
      .max(MAX_TIMEOUT_MS)
      .default(DEFAULT_RESTART_POLICY.maxDelayMs)
      .describe('Ceiling of the doubled restart delay; at least `delayMs`.'),
    maxRestarts: z
      .number()
      .int()
      .nonnegative()
      .default(DEFAULT_RESTART_POLICY.maxRestarts)
      .describe('Most crashes tolerated within `windowMs`; one more and the processor fails for good.'),
    windowMs: durationMs('Sliding window over which crashes are counted for `maxRestarts`.', DEFAULT_RESTART_POLICY.windowMs),
    resetAfterMs: durationMs(
      'Time a processor must keep serving before its restart delay goes back to `delayMs`.',
      DEFAULT_RESTART_POLICY.resetAfterMs,
    ),
  })
  .refine((policy) => policy.maxDelayMs >= policy.delayMs, {
    path: ['maxDelayMs'],
    message: 'maxDelayMs must be at least delayMs',
    params: { expected: 'a number >= delayMs' },
  })
  .default({ ...DEFAULT_RESTART_POLICY })
  .describe('Restart policy: exponential backoff and a restart budget.');

/** `processors[].queue`: admission control of one processor. */
export const queueSchema = z
  .strictObject({
    maxInFlight: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_MAX_IN_FLIGHT)
      .describe('Most requests in flight at this processor; past it requests fail fast with `overloaded`.'),
  })
  .default({ maxInFlight: DEFAULT_MAX_IN_FLIGHT })
  .describe('Admission control.');

/** Most worker threads of one processor (`processors[].threads`). */
export const MAX_PROCESSOR_THREADS = 64;

/** One entry of `processors`. */
export const processorEntrySchema = z
  .strictObject({
    name: z
      .string()
      .regex(NAME_PATTERN)
      .describe('Processor name, unique in the instance: letters, digits, `_`, `.` and `-`, at most 64 characters.'),
    kind: z.string().min(1).describe('Processor kind: one of the kinds `prosa kinds` lists.'),
    settings: z
      .unknown()
      .default({})
      .describe("Settings of the processor's kind, checked against that kind's schema."),
    restart: restartSchema,
    queue: queueSchema,
    initTimeoutMs: durationMs("Longest time the adaptor's `init` may take before it counts as a crash.", DEFAULT_INIT_TIMEOUT_MS),
    threads: z
      .number()
      .int()
      .nonnegative()
      .max(MAX_PROCESSOR_THREADS)
      .default(0)
      .describe(
        'Where the adaptor runs: 0 on the main event loop; 1 on a worker thread of its own; N on N worker threads, each with its own adaptor, requests going to the one with the fewest in flight.',
      ),
    log: z
      .strictObject({
        level: z.enum(LOG_LEVELS).optional().describe("Log level of this processor; defaults to the instance's."),
      })
      .default({})
      .describe('Logging of this processor.'),
  })
  .describe('One processor.');

/**
 * The instance's top-level sections, one line each. A later feature adds its section
 * here (`metrics: metricsSchema,`) and it is parsed, validated, documented and
 * overridable from the environment like the others.
 */
export const INSTANCE_SECTIONS = {
  name: z.string().regex(NAME_PATTERN).describe('Instance name: in logs, metrics and the inspector.'),
  shutdown: shutdownSchema,
  log: logSchema,
  requestTimeoutMs: durationMs('Timeout of requests that do not give their own.', 10_000),
  processors: z.array(processorEntrySchema).default([]).describe('The processors of the instance, started in this order.'),
  transport: transportSettingsSchema.optional(),
  services: servicesSettingsSchema,
  metrics: metricsSettingsSchema,
  plugins: z
    .array(z.string().min(1).describe('A module: a package name, or a path relative to the settings file (`./kinds/upper.js`).'))
    .default([])
    .describe(
      'Modules that provide processor kinds (`export const kinds = [defineFactory(...)]`), loaded before the processors are checked; package names resolve from the settings file\'s folder, relative paths from the file (docs/plugins.md).',
    ),
  tracing: tracingSettingsSchema,
  console: consoleSettingsSchema,
};

/** The whole settings file. Unknown fields are errors (typos do not pass silently). */
export const instanceSettingsSchema = z.strictObject(INSTANCE_SECTIONS).describe('Settings of a prosa instance.');

/** Settings of one processor once validated: its kind's `settings` are the kind schema's output. */
export type ProcessorSettings = Omit<z.output<typeof processorEntrySchema>, 'settings'> & {
  /** Settings of the kind, as its factory's schema output them (defaults filled). */
  settings: unknown;
};

/** Settings of an instance once validated: every default filled. */
export type InstanceSettings = Omit<z.output<typeof instanceSettingsSchema>, 'processors'> & {
  /** The processors, in file order. */
  processors: ProcessorSettings[];
};

/** Settings of an instance as written in a file: defaults may be left out. */
export type InstanceSettingsInput = z.input<typeof instanceSettingsSchema>;
