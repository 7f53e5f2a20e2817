import { pino, type Logger } from 'pino';
import { createProsa, SimpleStringTvf, type ProsaOptions, type Tvf } from '../../src/index.js';

/**
 * A logger that writes nothing, whatever level a child asks for: `pino({ level: 'silent' })`
 * alone is not, since a processor's own `log.level` makes a child that logs to stdout.
 */
export function silentLogger(): Logger {
  return pino({ level: 'silent' }, { write: () => undefined });
}

/** A record carrying `n` in field 1. */
export function record(n: number): Tvf {
  const tvf = new SimpleStringTvf();
  tvf.putUnsigned(1, n);
  return tvf;
}

/** The number a {@link record} carries. */
export function valueOf(tvf: Tvf): number {
  return Number(tvf.getUnsigned(1));
}

/** A bus with a silent logger, short grace periods and a fine deadline tick. */
export function testBus(options: Partial<ProsaOptions> = {}) {
  return createProsa({
    name: 'test',
    logger: silentLogger(),
    shutdown: { graceMs: 200, terminateTimeoutMs: 100 },
    deadlineTickMs: 5,
    ...options,
  });
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `test` every 5 ms until it holds; rejects after `timeoutMs`. */
export async function until(test: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
