/** A {@link CommandIo} that keeps what the command writes, for in-process command tests. */
import type { CommandIo, OutputStream } from '../../src/cli/io.js';

/** An output stream that keeps its text. */
export interface Captured extends OutputStream {
  text: string;
}

function captured(isTTY = false): Captured {
  const stream = {
    text: '',
    isTTY,
    columns: 80,
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
  };
  return stream;
}

/** Captured stdout and stderr, with `env` as the environment. */
export function captureIo(env: Record<string, string | undefined> = {}): CommandIo & { stdout: Captured; stderr: Captured } {
  return { stdout: captured(), stderr: captured(), env };
}
