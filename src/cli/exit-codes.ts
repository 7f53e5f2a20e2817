/**
 * Exit codes of the `prosa` command.
 */

/** What each exit code of `prosa` means. */
export const ExitCode = {
  /** Success: a clean stop (duration over, SIGINT or SIGTERM), a valid file, a listing. */
  Ok: 0,
  /** A processor failed for good (fatal error or restart budget spent), or an unexpected error. */
  Failed: 1,
  /** The command line is wrong: unknown command or flag, missing or bad argument. */
  Usage: 2,
  /** The settings file cannot be read or is invalid (a plugin it names does not load, say); every issue is printed. */
  InvalidSettings: 3,
  /** A second SIGINT or SIGTERM arrived while stopping: the process quit without waiting. */
  Interrupted: 130,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
