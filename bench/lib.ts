/**
 * Benchmark conventions. Each `bench/*.bench.ts` default-exports a {@link BenchSuite};
 * `bench/run.ts` runs them all in one process, prints each figure beside its peer with the
 * ratio, and writes every figure to `bench/results.json`. Benchmarks report; they never
 * assert anything about wall time.
 */

/** One measured figure. */
export interface BenchFigure {
  /** What was measured, e.g. `prosa request/response, serial`. */
  name: string;
  /** Operations per second (the median of the rounds). */
  opsPerSec: number;
  /** Name of the peer figure (in any suite of the same run) this one is compared with. */
  comparedTo?: string;
  /** Free-form extra values (latency percentiles, heap bytes, ...). */
  extra?: Record<string, number | string>;
}

/** A group of figures measured together. */
export interface BenchSuite {
  /** Suite name, used to select suites on the command line (`npm run bench -- tvf`). */
  name: string;
  /** Runs the measurements and returns the figures. */
  run(): Promise<BenchFigure[]>;
}

/**
 * Runs `round` `rounds` times and returns the median operations per second, where one
 * round performs `ops` operations and resolves when they are done.
 */
export async function medianOpsPerSec(
  ops: number,
  round: () => Promise<void> | void,
  rounds = 5,
): Promise<number> {
  await round(); // warm-up: lets the JIT settle before anything is timed
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    await round();
    const ns = Number(process.hrtime.bigint() - t0);
    rates.push((ops * 1e9) / ns);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}
