/**
 * Start-up scale: an instance of 1,000, 4,000 and 16,000 processors read from a settings
 * text, built, started and stopped, as `prosa run` does. Each size runs in a process of its
 * own (bench/startup-child.ts): a 16,000-processor instance holds about a gigabyte while it
 * runs, which would weigh on the suites after it. Figures are processors per second; the
 * larger sizes are compared with 1,000, so a ratio near 1 reads "linear in processors".
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { benchScale, type BenchFigure, type BenchSuite } from './lib.js';
import type { StartupRound } from './startup-child.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'startup-child.ts');

/** Processor counts measured (a tenth with `--quick`). */
const SIZES = [1_000, 4_000, 16_000];

/** Timed rounds at most: one round of 16,000 processors takes seconds. */
const MAX_ROUNDS = 3;

/** Figure names. */
export const STARTUP = {
  start: (n: number) => `instance start-up (parse + build + start): ${n} processors`,
  stop: (n: number) => `instance stop: ${n} processors`,
} as const;

async function measure(processors: number, rounds: number): Promise<StartupRound[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, String(processors), String(rounds)], {
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as StartupRound[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Processors per second of each round, sorted; and the per-processor phase times in microseconds. */
function figuresOf(processors: number, rounds: StartupRound[], first: number): BenchFigure[] {
  const perSecond = (ms: number) => (processors * 1000) / ms;
  const us = (ms: number) => (ms * 1000) / processors;
  const startRates = rounds.map((r) => perSecond(r.parseMs + r.buildMs + r.startMs)).sort((a, b) => a - b);
  const stopRates = rounds.map((r) => perSecond(r.stopMs)).sort((a, b) => a - b);
  const common = { rounds: rounds.length, opsPerRound: processors };
  return [
    {
      name: STARTUP.start(processors),
      opsPerSec: median(startRates),
      ...(processors === first ? {} : { comparedTo: STARTUP.start(first) }),
      extra: {
        minOpsPerSec: startRates[0]!,
        maxOpsPerSec: startRates.at(-1)!,
        ...common,
        parseUsPerProcessor: us(median(rounds.map((r) => r.parseMs))),
        buildUsPerProcessor: us(median(rounds.map((r) => r.buildMs))),
        startUsPerProcessor: us(median(rounds.map((r) => r.startMs))),
        heapPerProcessorBytes: Math.round(median(rounds.map((r) => r.heapPerProcessorBytes))),
      },
    },
    {
      name: STARTUP.stop(processors),
      opsPerSec: median(stopRates),
      ...(processors === first ? {} : { comparedTo: STARTUP.stop(first) }),
      extra: {
        minOpsPerSec: stopRates[0]!,
        maxOpsPerSec: stopRates.at(-1)!,
        ...common,
        stopUsPerProcessor: us(median(rounds.map((r) => r.stopMs))),
      },
    },
  ];
}

export default {
  name: 'startup',
  async run() {
    const scale = benchScale();
    const rounds = Math.min(scale.rounds, MAX_ROUNDS);
    const sizes = SIZES.map((n) => scale.ops(n));
    const figures: BenchFigure[] = [];
    for (const processors of sizes) figures.push(...figuresOf(processors, await measure(processors, rounds), sizes[0]!));
    return figures;
  },
} satisfies BenchSuite;
