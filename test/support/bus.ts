import pTimeout from 'p-timeout';
import { SimpleStringTvf, type Tvf } from '../../src/index.js';
import { quietBus } from '../../src/testing.js';

export { silentLogger } from '../../src/testing.js';

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

/** A bus with a silent logger, short grace periods and a fine deadline tick (`prosa/testing`'s). */
export const testBus = quietBus;

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

/**
 * `promise`, or a rejection naming `what` (a text, or a function read at the time) once
 * `ms` have passed without it: a wait that never ends fails the test at once, saying what
 * was lost.
 */
export function within<T>(promise: PromiseLike<T>, ms: number, what: string | (() => string)): Promise<T> {
  return pTimeout(Promise.resolve(promise), {
    milliseconds: ms,
    fallback: () => {
      throw new Error(`${typeof what === 'function' ? what() : what}: not within ${ms} ms`);
    },
  });
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
