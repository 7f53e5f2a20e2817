/**
 * The command's logger: logs go to stderr (stdout carries the summary), pretty and above
 * the live status line on a TTY, JSON lines otherwise (or as `log.format` says). Every
 * TVF record a line carries is masked (observability's masking formatter).
 */
import pinoPretty from 'pino-pretty';
import { pino, type Logger } from 'pino';
import { maskUrlCredentials } from '../config/sensitive.js';
import type { LogLevel } from '../config/settings-schema.js';
import { maskingFormatters } from '../observability/log-masking.js';
import type { LogFormat } from '../observability/logger.js';
import { PayloadMasks } from '../observability/payload-masks.js';
import type { OutputStream } from './io.js';
import type { TtyLine } from './status-line.js';

/** How the command writes its logs. */
export interface CliLogOptions {
  /**
   * `json`, `pretty`, or `auto` (pretty on a terminal).
   * @defaultValue `'auto'`
   */
  format?: LogFormat;
  /**
   * Masks of the records logs carry.
   * @defaultValue masks with no sensitive field
   */
  masks?: PayloadMasks;
}

/** Most causes of an error a log line follows. */
const MAX_CAUSES = 8;

/** The `message` of `value` when it is an error-like object, else undefined; never throws. */
function messageOf(value: unknown): string | undefined {
  try {
    if (typeof value !== 'object' || value === null) return undefined;
    const message: unknown = (value as { message?: unknown }).message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An error's message with its causes' messages, each said once: a cause whose message
 * the text already holds (`upstream unreachable: connect ECONNREFUSED` caused by
 * `connect ECONNREFUSED`) adds nothing. Never throws.
 */
export function messageWithCauses(error: unknown): string {
  let text = messageOf(error) ?? '';
  const seen = new Set<unknown>([error]);
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSES; depth++) {
    let cause: unknown;
    try {
      cause = (current as { cause?: unknown }).cause;
    } catch {
      break;
    }
    if (cause === undefined || cause === null || seen.has(cause)) break;
    seen.add(cause);
    const message = messageOf(cause);
    if (message !== undefined && message !== '' && !text.includes(message)) text = text === '' ? message : `${text}: ${message}`;
    current = cause;
  }
  return text;
}

/**
 * The `err` serializer of the command's logs: pino's, but the message says each cause
 * once, and the stack trace is left out unless the level is `debug` or `trace` (the
 * command's user reads these lines). Never throws, whatever was thrown.
 */
export function errorSerializer(withStack: boolean): (error: unknown) => unknown {
  return (error) => {
    try {
      const serialized = pino.stdSerializers.err(error as Error) as unknown;
      if (typeof serialized !== 'object' || serialized === null || serialized === error) return serialized;
      const out = serialized as { message?: unknown; stack?: unknown };
      // The logger's formatters mask the log object before serializers run: mask URL passwords here.
      out.message = maskUrlCredentials(messageWithCauses(error));
      if (!withStack) delete out.stack;
      else if (typeof out.stack === 'string') out.stack = maskUrlCredentials(out.stack);
      return out;
    } catch {
      return { type: 'Error', message: maskUrlCredentials(messageWithCauses(error)) || 'an error that cannot be read' };
    }
  };
}

/**
 * A logger at `level`: lines printed above `tty` when given, else written to `out`
 * (stderr); pretty or JSON as `options.format` says. Writes are synchronous
 * (`process.stderr` is, on Linux, for files, pipes and terminals). Errors are logged
 * with their message and causes, each said once; their stack only at `debug` and `trace`.
 */
export function cliLogger(name: string, level: LogLevel, out: OutputStream, tty?: TtyLine, options: CliLogOptions = {}): Logger {
  const format = options.format ?? 'auto';
  const withStack = level === 'debug' || level === 'trace';
  const pinoOptions = {
    name,
    level,
    formatters: maskingFormatters(options.masks ?? new PayloadMasks()),
    serializers: { err: errorSerializer(withStack) },
  };
  const print = tty === undefined ? (line: string) => out.write(line) : (line: string) => tty.print(line);
  const pretty = format === 'pretty' || (format === 'auto' && out.isTTY === true);
  if (!pretty) return pino(pinoOptions, { write: print });
  const prettify = pinoPretty.prettyFactory({
    colorize: out.isTTY === true && pinoPretty.isColorSupported,
    singleLine: true,
    ignore: 'pid,hostname,name,proc',
    messageFormat: '{if proc}{proc}: {end}{msg}',
  });
  return pino(pinoOptions, { write: (line: string) => print(prettify(line)) });
}
