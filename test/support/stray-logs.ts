/**
 * Setup file (vitest.config.ts): tests log nothing unless they check logs. A log line
 * (pino's JSON, or pino-pretty's) that reaches the process's stdout or stderr, the way
 * a logger built without a destination writes, is kept out of the output and fails the
 * test that wrote it, naming the line. A test that checks logs gives its logger a
 * destination of its own (test/support/log-capture.ts) and is not concerned.
 */
import { createRequire } from 'node:module';
import { afterEach, beforeEach } from 'vitest';

const LOG_LINE = /^\{"level":\d+|^\[\d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\b/m;

/** The log lines the current test wrote to stdout or stderr. */
const stray: string[] = [];

function textOf(chunk: unknown): string | undefined {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
  return undefined;
}

/** True (and recorded) when `chunk` holds a log line. */
function isLogLine(chunk: unknown): boolean {
  const text = textOf(chunk);
  if (text === undefined || !LOG_LINE.test(text)) return false;
  stray.push(text.length > 300 ? `${text.slice(0, 297)}...` : text.trimEnd());
  return true;
}

// pino writes to file descriptors 1 and 2 through sonic-boom, which calls the CommonJS
// `fs.write` / `fs.writeSync` (looked up at each call, so they can be wrapped here).
const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
const { write, writeSync } = fs;
type Write = (...args: unknown[]) => unknown;
(fs as { writeSync: Write }).writeSync = function (fd: unknown, chunk: unknown, ...rest: unknown[]) {
  if ((fd === 1 || fd === 2) && isLogLine(chunk)) return textOf(chunk)!.length;
  return (writeSync as unknown as Write).call(fs, fd, chunk, ...rest);
};
(fs as { write: Write }).write = function (fd: unknown, chunk: unknown, ...rest: unknown[]) {
  if ((fd === 1 || fd === 2) && isLogLine(chunk)) {
    const callback = rest.find((arg): arg is (error: null, written: number) => void => typeof arg === 'function');
    const written = textOf(chunk)!.length;
    if (callback !== undefined) process.nextTick(() => callback(null, written));
    return undefined;
  }
  return (write as unknown as Write).call(fs, fd, chunk, ...rest);
};
for (const stream of [process.stdout, process.stderr]) {
  const original = stream.write.bind(stream) as Write;
  (stream as { write: Write }).write = (chunk: unknown, ...rest: unknown[]) => {
    if (isLogLine(chunk)) {
      const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
      if (callback !== undefined) process.nextTick(callback);
      return true;
    }
    return original(chunk, ...rest);
  };
}

beforeEach(() => {
  stray.length = 0;
});

afterEach(() => {
  const lines = stray.splice(0);
  if (lines.length === 0) return;
  const count = lines.length === 1 ? '1 log line' : `${lines.length} log lines`;
  throw new Error(
    `the test printed ${count}: give its loggers a silent level and a destination of their own (test/support/bus.ts silentLogger)\n${lines.join('\n')}`,
  );
});
