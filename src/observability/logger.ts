/**
 * The logger, built in one place: pino, JSON lines by default, pino-pretty text when
 * asked, every TVF record masked on its way out ({@link createLogger}); the masks of an
 * instance's services with the logger that applies them ({@link instanceLogging}); and
 * the child logger of each processor, at its own level. pino-pretty is an optional
 * package, loaded by the first pretty logger.
 */
import { pino, type LevelWithSilent, type Logger, type LoggerOptions } from 'pino';
import type pinoPretty from 'pino-pretty';
import type { Tvf } from '../tvf/tvf.js';
import { userErrorSerializer } from './log-errors.js';
import { maskingFormatters } from './log-masking.js';
import { MissingPackageError, requireOptional } from './optional-package.js';
import { PayloadMasks, payloadMasksOf, type MaskedPayload } from './payload-masks.js';
import type { SensitiveFields } from './sensitive-fields.js';
import { withTraceIds } from './tracing.js';

/** How log lines are written. */
export type LogFormat =
  /** One JSON object per line (pino's own form), for collectors. */
  | 'json'
  /** Readable text (pino-pretty, an optional package), coloured when the output is a terminal. */
  | 'pretty'
  /** `pretty` when the output is a terminal and pino-pretty is installed, else `json`. */
  | 'auto';

/** Where lines go: a stream, or anything with a synchronous `write`. */
export interface LogDestination {
  /** Writes one line (or a pretty block), synchronously. */
  write(line: string): unknown;
  /** True on a terminal: `pretty` colours, and `auto` is pretty. */
  readonly isTTY?: boolean;
}

/** How and where lines are written, apart from what they say. */
export interface LogOutput {
  /**
   * Where lines go. `pretty` and `auto` read its `isTTY`.
   * @defaultValue standard output
   */
  destination?: LogDestination;
  /**
   * Layout of pretty lines: `block` is pino-pretty's (a header line, then each field on a
   * line of its own); `line` is one line per record (`proc: message`, without pid,
   * hostname or instance name), for a terminal a person watches.
   * @defaultValue `'block'`
   */
  layout?: 'block' | 'line';
  /**
   * How an `err` is shown: `full` is pino's serializer (message, stack, fields); `user`
   * says each cause once in the message and keeps the stack only at `debug` and `trace`
   * (for lines a command's user reads).
   * @defaultValue `'full'`
   */
  errors?: 'full' | 'user';
}

/** Options of {@link createLogger}. */
export interface LoggerSettings extends LogOutput {
  /** Instance name, bound as `name` on every line. */
  name: string;
  /**
   * Level of the instance logger; processors without a level of their own inherit it.
   * @defaultValue `'info'`
   */
  level?: LevelWithSilent;
  /**
   * How lines are written.
   * @defaultValue `'json'`
   */
  format?: LogFormat;
  /**
   * Masks applied to every record a line carries.
   * @defaultValue masks with no sensitive field (records are shown, readably)
   */
  masks?: PayloadMasks;
}

/** `formatters` whose `log` also adds the trace ids of the request being served (masking first). */
function tracedFormatters(formatters: NonNullable<LoggerOptions['formatters']>): NonNullable<LoggerOptions['formatters']> {
  const log = formatters.log ?? ((object: Record<string, unknown>) => object);
  return { ...formatters, log: (object) => withTraceIds(log(object)) };
}

/** What pretty logs need: pino-pretty, loaded on the first call. */
const PRETTY_LOGS = 'pretty logs (log.format pretty)';

/**
 * pino-pretty when lines for `format` should be pretty on `destination`, else undefined:
 * `pretty` always (a {@link MissingPackageError} when pino-pretty is not installed),
 * `auto` on a terminal when pino-pretty is installed.
 */
function prettifierFor(format: LogFormat, destination: { readonly isTTY?: boolean }): typeof pinoPretty | undefined {
  if (format === 'pretty') return requireOptional<typeof pinoPretty>(PRETTY_LOGS, 'pino-pretty');
  if (format !== 'auto' || destination.isTTY !== true) return undefined;
  try {
    return requireOptional<typeof pinoPretty>(PRETTY_LOGS, 'pino-pretty');
  } catch (error) {
    if (error instanceof MissingPackageError) return undefined;
    throw error;
  }
}

/** pino-pretty's options for a layout. */
function prettyOptions(layout: 'block' | 'line', colorize: boolean): pinoPretty.PrettyOptions {
  if (layout === 'block') return { colorize };
  return { colorize, singleLine: true, ignore: 'pid,hostname,name,proc', messageFormat: '{if proc}{proc}: {end}{msg}' };
}

/**
 * A pino logger for an instance. Every record (any `Tvf`) a log call carries is replaced by
 * its masked text, under any key (down to 4 levels of plain objects and arrays); a record
 * beside a `service` key is masked with that service's sensitive fields, any other with
 * every service's. A line written while a traced request is served carries its `trace_id`
 * and `span_id` (docs/tracing.md). Only logged values are masked: never interpolate a record into the
 * message string, and never bind one to a child logger. Writes are synchronous: a line is
 * out when the log call returns.
 * @throws MissingPackageError for `format: 'pretty'` when pino-pretty is not installed.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const destination: LogDestination = settings.destination ?? process.stdout;
  const level = settings.level ?? 'info';
  const options: LoggerOptions = {
    name: settings.name,
    level,
    formatters: tracedFormatters(maskingFormatters(settings.masks ?? new PayloadMasks())),
  };
  if (settings.errors === 'user') options.serializers = { err: userErrorSerializer(level === 'debug' || level === 'trace') };
  const pretty = prettifierFor(settings.format ?? 'json', destination);
  if (pretty === undefined) return pino(options, { write: (line: string) => void destination.write(line) });
  // Formatted on the main thread (no worker): fine for a terminal.
  const prettify = pretty.prettyFactory(prettyOptions(settings.layout ?? 'block', destination.isTTY === true && pretty.isColorSupported));
  return pino(options, { write: (line: string) => void destination.write(prettify(line)) });
}

/** What {@link instanceLogging} reads of an instance's settings (validated settings fit). */
export interface LoggedSettings {
  /** Instance name. */
  readonly name: string;
  /** Level and format of the logs. */
  readonly log?: { readonly level?: LevelWithSilent; readonly format?: LogFormat };
  /** Service name -> its settings; `sensitive` fields are masked in logs. */
  readonly services?: Readonly<Record<string, { readonly sensitive?: SensitiveFields }>>;
}

/** The masks of an instance's services, and the logger that applies them. */
export interface InstanceLogging {
  /** The sensitive fields of every service, prepared once. */
  readonly masks: PayloadMasks;
  /** The instance logger: masks every record it is given. */
  readonly logger: Logger;
  /** A record of `service` as logs show it, masked (the bus's `maskPayload`). */
  readonly maskPayload: (service: string, payload: Tvf) => MaskedPayload;
}

/** Options of {@link instanceLogging}. */
export interface InstanceLoggingOptions extends LogOutput {
  /**
   * Format when the settings give none.
   * @defaultValue `'json'`
   */
  format?: LogFormat;
  /**
   * Masks to use instead of building them from the settings' `services`.
   * @defaultValue `payloadMasksOf(settings.services)`
   */
  masks?: PayloadMasks;
  /**
   * A logger to use instead of building one. Give it `maskingFormatters(masks)` with the
   * same masks, or the records it logs are not masked.
   * @defaultValue {@link createLogger} with the settings' `log` and the masks
   */
  logger?: Logger;
}

/**
 * The masks of `settings.services` and the logger that applies them, at the settings'
 * `log.level` and `log.format`: the one place an instance's logging is built (the CLI, the
 * observability layer and `buildInstance` all come here).
 * @throws TvfError `TypeMismatch` for a sensitive field id that is not a non-negative integer.
 */
export function instanceLogging(settings: LoggedSettings, options: InstanceLoggingOptions = {}): InstanceLogging {
  const masks = options.masks ?? payloadMasksOf(settings.services);
  const logger =
    options.logger ??
    createLogger({
      name: settings.name,
      level: settings.log?.level,
      format: settings.log?.format ?? options.format,
      masks,
      destination: options.destination,
      layout: options.layout,
      errors: options.errors,
    });
  return { masks, logger, maskPayload: (service, payload) => masks.mask(service, payload) };
}

/**
 * A logger that writes nothing: silent, and children at a level of their own (a
 * processor's `log.level`) write nowhere too, which `pino({ level: 'silent' })` alone
 * does not ensure.
 */
export function silentLogger(name = 'prosa'): Logger {
  return createLogger({ name, level: 'silent', destination: { write: () => undefined } });
}

/**
 * The logger of one processor: a child of `instance` with `proc` bound, at `level` when
 * given (more or less verbose than the instance), else at the instance's level.
 */
export function processorLogger(instance: Logger, name: string, level?: LevelWithSilent): Logger {
  return level === undefined ? instance.child({ proc: name }) : instance.child({ proc: name }, { level });
}
