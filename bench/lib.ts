/**
 * Benchmark conventions. Each `bench/*.bench.ts` default-exports a {@link BenchSuite};
 * `bench/run.ts` runs each chosen suite in a Node process of its own, prints every figure
 * beside its peers with the ratio of each pair of rounds, and merges the figures into
 * `bench/results.json`. A ratio only ever pairs rounds measured next to each other in the
 * same process ({@link interleave}). Benchmarks report; they never assert a wall time.
 */

/**
 * What a figure counts. `ops/s`: higher is better; `B` (bytes) and `ms`: lower is better.
 * A ratio is always `this figure / its peer`, so read it in the figure's unit.
 */
export type BenchUnit = 'ops/s' | 'B' | 'ms';

/** One measured figure. */
export interface BenchFigure {
  /** What was measured, e.g. `prosa request/response, serial`. Unique within its suite. */
  name: string;
  /** @defaultValue `'ops/s'` */
  unit?: BenchUnit;
  /** The median of `rounds`. */
  value: number;
  /**
   * Every timed round's value in the order measured: round `i` of a figure was measured
   * beside round `i` of each figure it is compared with, which is what makes a ratio fair.
   */
  rounds: number[];
  /**
   * Names of the figures of the same suite this one is compared with, measured in the
   * same rounds (see {@link interleave}); the first is the table's main comparison.
   */
  comparedTo?: readonly string[];
  /** Free-form extra values (operations per round, latency percentiles, bytes, ...). */
  extra?: Record<string, number | string>;
}

/** A group of figures measured together, in one process. */
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

/** The median of `values` (the upper middle one for an even count). Throws on an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Takes one sample of a figure (ops/s of one round, bytes, milliseconds). */
export type Sampler = () => Promise<number> | number;

/**
 * A sampler that runs `round` (which performs `ops` operations) and returns its
 * operations per second.
 */
export function timed(ops: number, round: () => Promise<void> | void): Sampler {
  return async () => {
    const t0 = process.hrtime.bigint();
    await round();
    return (ops * 1e9) / Number(process.hrtime.bigint() - t0);
  };
}

/**
 * Takes `rounds` samples of every sampler, interleaved: one untimed warm-up of each (the
 * JIT settles), then round after round each sampler once, in the given order on even
 * rounds and in reverse on odd ones (A B C, C B A, A B C, ...). Samplers listed next to
 * each other are always measured next to each other, and drift in the machine's speed
 * falls on every one alike. Returns each sampler's samples in the order taken, so that
 * sample `i` of one pairs with sample `i` of another.
 */
export async function interleave<K extends string>(
  samplers: Record<K, Sampler>,
  rounds = benchScale().rounds,
  options: { warmUp?: boolean } = {},
): Promise<Record<K, number[]>> {
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new RangeError(`rounds must be a positive integer, got ${rounds}`);
  }
  const keys = Object.keys(samplers) as K[];
  if (options.warmUp ?? true) for (const key of keys) await samplers[key]();
  const samples = Object.fromEntries(keys.map((key) => [key, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? keys : [...keys].reverse();
    for (const key of order) samples[key].push(await samplers[key]());
  }
  return samples;
}

/** Options of {@link figure}. */
export interface FigureOptions {
  /** @defaultValue `'ops/s'` */
  unit?: BenchUnit;
  /** Figures of the same suite, measured in the same interleaved rounds. */
  comparedTo?: string | readonly string[];
  /** Operations each round performed (for rates): recorded as `opsPerRound`. */
  opsPerRound?: number;
  /** Other values to record. */
  extra?: Record<string, number | string>;
}

/** A figure from its rounds (in the order measured): its value is their median. */
export function figure(name: string, rounds: readonly number[], options: FigureOptions = {}): BenchFigure {
  const { unit, comparedTo, opsPerRound, extra } = options;
  const out: BenchFigure = { name, value: median(rounds), rounds: [...rounds] };
  if (unit !== undefined && unit !== 'ops/s') out.unit = unit;
  if (comparedTo !== undefined) out.comparedTo = typeof comparedTo === 'string' ? [comparedTo] : [...comparedTo];
  if (opsPerRound !== undefined || extra !== undefined) {
    out.extra = { ...(opsPerRound === undefined ? {} : { opsPerRound }), ...extra };
  }
  return out;
}

/** Runs a full garbage collection when the process has `--expose-gc` (the runner's children do). */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** True when {@link collectGarbage} really collects: heap figures mean little otherwise. */
export function gcExposed(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

/** Heap in use after a full collection (when `--expose-gc`), in bytes. */
export function heapUsed(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}
