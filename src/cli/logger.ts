/**
 * Where and how the command logs: to stderr (stdout carries the summary), above the live
 * status line on a TTY; pretty one-line records on a terminal, JSON lines otherwise (or
 * as `log.format` says); errors as a user reads them (each cause once, no stack unless
 * the level is `debug` or `trace`). The logger itself is built by observability's
 * `instanceLogging`, the one place loggers are built.
 */
import type { InstanceLoggingOptions } from '../observability/logger.js';
import type { OutputStream } from './io.js';
import type { TtyLine } from './status-line.js';

/**
 * The command's log output: lines printed above `tty` when given, else written to `out`
 * (stderr). Writes are synchronous (`process.stderr` is, on Linux, for files, pipes and
 * terminals).
 */
export function commandLogOutput(out: OutputStream, tty?: TtyLine): InstanceLoggingOptions {
  return {
    destination: { write: tty === undefined ? (line: string) => out.write(line) : (line: string) => tty.print(line), isTTY: out.isTTY },
    format: 'auto',
    layout: 'line',
    errors: 'user',
  };
}
