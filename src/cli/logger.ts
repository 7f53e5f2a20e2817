/**
 * The command's logger: logs go to stderr (stdout carries the summary), pretty and above
 * the live status line on a TTY, JSON lines otherwise (or as `log.format` says). Every
 * TVF record a line carries is masked (observability's masking formatter).
 */
import pinoPretty from 'pino-pretty';
import { pino, type Logger } from 'pino';
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

/**
 * A logger at `level`: lines printed above `tty` when given, else written to `out`
 * (stderr); pretty or JSON as `options.format` says. Writes are synchronous
 * (`process.stderr` is, on Linux, for files, pipes and terminals).
 */
export function cliLogger(name: string, level: LogLevel, out: OutputStream, tty?: TtyLine, options: CliLogOptions = {}): Logger {
  const format = options.format ?? 'auto';
  const pinoOptions = { name, level, formatters: maskingFormatters(options.masks ?? new PayloadMasks()) };
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
