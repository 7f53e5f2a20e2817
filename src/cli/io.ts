/**
 * What the commands write to and read from: two output streams and the environment,
 * passed in so that a command runs the same in a test as from a shell.
 */

/** An output stream as the commands use it (`process.stdout`, or a test's stand-in). */
export interface OutputStream {
  write(text: string): boolean;
  /** True on a terminal. */
  readonly isTTY?: boolean;
  /** Width of the terminal, when it is one. */
  readonly columns?: number;
}

/** The streams and environment the commands use. */
export interface CommandIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}
