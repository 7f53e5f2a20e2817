import { pino } from 'pino';
import { createProsa, type ProsaOptions } from '../../src/index.js';
import type { Tvf } from '../../src/tvf/tvf.js';

/** A record carrying `n` in field 1 (a stand-in until SimpleStringTvf lands). */
export function record(n: number): Tvf {
  return { n, len: () => 1 } as unknown as Tvf;
}

/** The number a {@link record} carries. */
export function valueOf(tvf: Tvf): number {
  return (tvf as unknown as { n: number }).n;
}

/** A bus with a silent logger, short grace periods and a fine deadline tick. */
export function testBus(options: Partial<ProsaOptions> = {}) {
  return createProsa({
    name: 'test',
    logger: pino({ level: 'silent' }),
    shutdown: { graceMs: 200, terminateTimeoutMs: 100 },
    deadlineTickMs: 5,
    ...options,
  });
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
