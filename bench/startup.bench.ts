/**
 * Start-up scale: an instance of 1,000, 4,000 and 16,000 processors read from a settings
 * text, built, started and stopped, as `prosa run` does, the sizes taking turns round by
 * round in this process (lib.ts `interleave`; the suite has a process of its own, as every
 * suite). Figures are processors per second; the larger sizes are compared with 1,000, so
 * a ratio near 1 (or above: JIT warm-up favours the larger sizes) reads "linear in
 * processors", and a ratio falling with size is a step that grows faster than the count.
 * Test test/directives/start-scaling.test.ts guards the same property by counting work.
 */
import { pino } from 'pino';
import { parseSettings } from '../src/config/index.js';
import { buildInstance } from '../src/instance/index.js';
import { defaultKinds } from '../src/processors/index.js';
import { benchScale, figure, heapUsed, interleave, median, type BenchFigure, type BenchSuite } from './lib.js';

/** Processor counts measured (a tenth with `--quick`). */
const SIZES = [1_000, 4_000, 16_000];

/** Figure names. */
export const STARTUP = {
  start: (n: number) => `instance start-up (parse + build + start): ${n} processors`,
  stop: (n: number) => `instance stop: ${n} processors`,
} as const;

/** The milliseconds of one round, phase by phase. */
interface StartupRound {
  /** Settings text -> validated settings. */
  parseMs: number;
  /** Settings -> built instance (every processor built through its `LoadProcessor`). */
  buildMs: number;
  /** `instance.start()`: every processor serving. */
  startMs: number;
  /** `instance.stop()`: every processor stopped. */
  stopMs: number;
  /** Heap held by the started instance, per processor (after a full collection). */
  heapPerProcessorBytes: number;
}

const silent = pino({ level: 'silent' });

function settingsText(processors: number): string {
  const lines = ['name: startup', 'shutdown: { graceMs: 1000, terminateTimeoutMs: 1000 }', 'processors:'];
  for (let i = 0; i < processors; i++) lines.push(`  - { name: p${i}, kind: stub, settings: { services: [S${i}] } }`);
  return `${lines.join('\n')}\n`;
}

async function startAndStop(text: string, processors: number): Promise<StartupRound> {
  const kinds = defaultKinds();
  const before = heapUsed();
  const t0 = performance.now();
  const settings = parseSettings(text, { kinds, env: {} });
  const t1 = performance.now();
  const instance = buildInstance(settings, { kinds, logger: silent });
  const t2 = performance.now();
  await instance.start();
  const t3 = performance.now();
  if (Object.keys(instance.prosa.services()).length !== processors) throw new Error('not every processor registered its service');
  const heapPerProcessorBytes = (heapUsed() - before) / processors;
  const t4 = performance.now();
  await instance.stop();
  const t5 = performance.now();
  return { parseMs: t1 - t0, buildMs: t2 - t1, startMs: t3 - t2, stopMs: t5 - t4, heapPerProcessorBytes };
}

/** The two figures of one size, from its rounds in the order measured. */
function figuresOf(processors: number, rounds: StartupRound[], first: number): BenchFigure[] {
  const perSecond = (ms: number) => (processors * 1000) / ms;
  const us = (pick: (r: StartupRound) => number) => (median(rounds.map(pick)) * 1000) / processors;
  const compare = (name: (n: number) => string) => (processors === first ? {} : { comparedTo: name(first) });
  return [
    figure(STARTUP.start(processors), rounds.map((r) => perSecond(r.parseMs + r.buildMs + r.startMs)), {
      ...compare(STARTUP.start),
      opsPerRound: processors,
      extra: {
        parseUsPerProcessor: us((r) => r.parseMs),
        buildUsPerProcessor: us((r) => r.buildMs),
        startUsPerProcessor: us((r) => r.startMs),
        heapPerProcessorBytes: Math.round(median(rounds.map((r) => r.heapPerProcessorBytes))),
      },
    }),
    figure(STARTUP.stop(processors), rounds.map((r) => perSecond(r.stopMs)), {
      ...compare(STARTUP.stop),
      opsPerRound: processors,
      extra: { stopUsPerProcessor: us((r) => r.stopMs) },
    }),
  ];
}

export default {
  name: 'startup',
  async run() {
    const scale = benchScale();
    const sizes = SIZES.map((n) => scale.ops(n));
    const rounds = new Map(sizes.map((n) => [n, [] as StartupRound[]]));
    const samplers = Object.fromEntries(
      sizes.map((n) => {
        const text = settingsText(n);
        return [
          String(n),
          async () => {
            const round = await startAndStop(text, n);
            rounds.get(n)!.push(round);
            return round.startMs;
          },
        ];
      }),
    );
    await interleave(samplers, scale.rounds);
    // Each size's first round is interleave's untimed warm-up: left out.
    return sizes.flatMap((n) => figuresOf(n, rounds.get(n)!.slice(1), sizes[0]!));
  },
} satisfies BenchSuite;
