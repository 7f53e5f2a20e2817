/**
 * The instance logger: pino, JSON lines by default, pino-pretty text when asked, every TVF
 * record masked on its way out; and the child logger of each processor, at its own level.
 */
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import { maskingFormatters } from './log-masking.js';
import { PayloadMasks } from './payload-masks.js';

/** How log lines are written. */
export type LogFormat =
  /** One JSON object per line (pino's own form), for collectors. */
  | 'json'
  /** Readable text (pino-pretty), coloured when the output is a terminal. */
  | 'pretty'
  /** `pretty` when the output is a terminal, else `json`. */
  | 'auto';

/** Options of {@link createLogger}. */
export interface LoggerSettings {
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
  /**
   * Where lines go. `pretty` and `auto` read its `isTTY` to decide on colours.
   * @defaultValue standard output
   */
  destination?: DestinationStream & { isTTY?: boolean };
}

/** True when lines for `format` should be pretty on `destination`. */
export function isPretty(format: LogFormat, destination: { isTTY?: boolean }): boolean {
  return format === 'pretty' || (format === 'auto' && destination.isTTY === true);
}

/**
 * A pino logger for an instance. Every record (any `Tvf`) a log call carries is replaced by
 * its masked text, under any key (down to 4 levels of plain objects and arrays); a record
 * beside a `service` key is masked with that service's sensitive fields, any other with
 * every service's. Only logged values are masked: never interpolate a record into the
 * message string, and never bind one to a child logger.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const destination = settings.destination ?? (process.stdout as DestinationStream & { isTTY?: boolean });
  const format = settings.format ?? 'json';
  const options = {
    name: settings.name,
    level: settings.level ?? 'info',
    formatters: maskingFormatters(settings.masks ?? new PayloadMasks()),
  };
  if (!isPretty(format, destination)) return pino(options, destination);
  // In-process pretty stream (no worker thread): formatting costs the main thread, fine for a terminal.
  const pretty = pinoPretty({ colorize: destination.isTTY === true, destination, sync: true });
  return pino(options, pretty);
}

/**
 * The logger of one processor: a child of `instance` with `proc` bound, at `level` when
 * given (more or less verbose than the instance), else at the instance's level.
 */
export function processorLogger(instance: Logger, name: string, level?: LevelWithSilent): Logger {
  return level === undefined ? instance.child({ proc: name }) : instance.child({ proc: name }, { level });
}
