/**
 * The command's logger: logs go to stderr (stdout carries the summary), pretty and above
 * the live status line on a TTY, JSON lines otherwise.
 */
import pinoPretty from 'pino-pretty';
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/settings-schema.js';
import type { OutputStream } from './io.js';
import type { TtyLine } from './status-line.js';

/**
 * A logger at `level`: pretty lines printed above `tty` when given, else JSON lines
 * written to `out` (stderr). Writes are synchronous (`process.stderr` is, on Linux, for
 * files, pipes and terminals).
 */
export function cliLogger(name: string, level: LogLevel, out: OutputStream, tty?: TtyLine): Logger {
  if (tty === undefined) return pino({ name, level }, { write: (line: string) => out.write(line) });
  const prettify = pinoPretty.prettyFactory({
    colorize: pinoPretty.isColorSupported,
    singleLine: true,
    ignore: 'pid,hostname,name,proc',
    messageFormat: '{if proc}{proc}: {end}{msg}',
  });
  return pino({ name, level }, { write: (line: string) => tty.print(prettify(line)) });
}
