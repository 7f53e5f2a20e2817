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

/** Run-wide scale of a benchmark run, set by `bench/run.ts` from its command line. */
export interface BenchScale {
  /** `--quick`: a smoke test of the harness; figures are not meant to be compared. */
  quick: boolean;
  /** Timed rounds per figure (`--rounds N`). @defaultValue 5, or 1 with `--quick` */
  rounds: number;
  /** Scales a full-run operation count: unchanged, or a tenth (at least 1) with `--quick`. */
  ops(full: number): number;
}

/** Environment variables through which `bench/run.ts` passes its flags to the suites. */
export const BENCH_ENV = {
  quick: 'PROSA_BENCH_QUICK',
  rounds: 'PROSA_BENCH_ROUNDS',
} as const;

/** Fraction of the full operation count a `--quick` run performs. */
const QUICK_OPS_FACTOR = 0.1;

/**
 * Reads the run-wide scale from the environment ({@link BENCH_ENV}); outside `bench/run.ts`
 * it is a full run of 5 rounds. Throws if `PROSA_BENCH_ROUNDS` is not a positive integer.
 */
export function benchScale(): BenchScale {
  const quick = process.env[BENCH_ENV.quick] === '1';
  const roundsText = process.env[BENCH_ENV.rounds];
  let rounds = quick ? 1 : 5;
  if (roundsText !== undefined && roundsText !== '') {
    rounds = Number(roundsText);
    if (!Number.isInteger(rounds) || rounds < 1) {
      throw new Error(`${BENCH_ENV.rounds} must be a positive integer, got '${roundsText}'`);
    }
  }
  return {
    quick,
    rounds,
    ops: (full) => (quick ? Math.max(1, Math.round(full * QUICK_OPS_FACTOR)) : full),
  };
}

/** Operations per second of each timed round, and their median. */
export interface RoundRates {
  /** Median of `rates` (the upper middle one for an even count). */
  median: number;
  /** Every round's rate, sorted ascending: the spread shows how noisy the figure is. */
  rates: number[];
}

/**
 * Runs `round` once untimed (warm-up), then `rounds` times timed, where one round performs
 * `ops` operations and resolves when they are done. Rounds run one after another.
 */
export async function measureRounds(
  ops: number,
  round: () => Promise<void> | void,
  rounds = benchScale().rounds,
): Promise<RoundRates> {
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new RangeError(`rounds must be a positive integer, got ${rounds}`);
  }
  await round(); // warm-up: lets the JIT settle before anything is timed
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    await round();
    const ns = Number(process.hrtime.bigint() - t0);
    rates.push((ops * 1e9) / ns);
  }
  rates.sort((a, b) => a - b);
  return { median: rates[Math.floor(rates.length / 2)]!, rates };
}

/**
 * The standard `extra` of a figure measured by {@link measureRounds}: the slowest and
 * fastest round, how many rounds were timed and how many operations each performed.
 * `bench/run.ts` prints the first two as the figure's spread.
 */
export function roundsExtra(measured: RoundRates, opsPerRound: number): Record<string, number> {
  return {
    minOpsPerSec: measured.rates[0]!,
    maxOpsPerSec: measured.rates[measured.rates.length - 1]!,
    rounds: measured.rates.length,
    opsPerRound,
  };
}

/**
 * Runs `round` `rounds` times and returns the median operations per second, where one
 * round performs `ops` operations and resolves when they are done.
 * `rounds` defaults to the run's `--rounds` (see {@link benchScale}), 5 when not given.
 */
export async function medianOpsPerSec(
  ops: number,
  round: () => Promise<void> | void,
  rounds = benchScale().rounds,
): Promise<number> {
  return (await measureRounds(ops, round, rounds)).median;
}
