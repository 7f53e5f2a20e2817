/**
 * One size of the `startup` suite (bench/startup.bench.ts), in a process of its own:
 * `node --expose-gc --import tsx bench/startup-child.ts <processors> <rounds>`. Each round
 * reads a settings text of that many stub processors (one service each), builds the
 * instance, starts it and stops it, as `prosa run` does; an untimed round runs first.
 * Prints one JSON line: the milliseconds of each phase of each timed round.
 */
import { pino } from 'pino';
import { buildInstance, parseSettings } from '../src/config/index.js';
import { defaultKinds } from '../src/processors/index.js';

/** The milliseconds of one round, phase by phase. */
export interface StartupRound {
  /** Settings text -> validated settings. */
  parseMs: number;
  /** Settings -> built instance (every processor built through its `LoadProcessor`). */
  buildMs: number;
  /** `instance.start()`: every processor serving. */
  startMs: number;
  /** `instance.stop()`: every processor stopped. */
  stopMs: number;
  /** Heap held by the started instance, per processor (after a GC when `--expose-gc`). */
  heapPerProcessorBytes: number;
}

const silent = pino({ level: 'silent' });

function settingsText(processors: number): string {
  const lines = ['name: startup', 'shutdown: { graceMs: 1000, terminateTimeoutMs: 1000 }', 'processors:'];
  for (let i = 0; i < processors; i++) lines.push(`  - { name: p${i}, kind: stub, settings: { services: [S${i}] } }`);
  return `${lines.join('\n')}\n`;
}

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

async function round(text: string, processors: number): Promise<StartupRound> {
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

const processors = Number(process.argv[2]);
const rounds = Number(process.argv[3] ?? 1);
if (!Number.isInteger(processors) || processors < 1 || !Number.isInteger(rounds) || rounds < 1) {
  console.error('usage: startup-child.ts <processors> <rounds>');
  process.exit(2);
}
const text = settingsText(processors);
await round(text, processors); // warm-up
const timed: StartupRound[] = [];
for (let i = 0; i < rounds; i++) timed.push(await round(text, processors));
process.stdout.write(`${JSON.stringify(timed)}\n`);
