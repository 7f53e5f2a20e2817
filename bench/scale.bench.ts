/**
 * A large bus: 10,000 and then 50,000 processors of one service each, started, asked once
 * each, and, while they run, the service table changed: a provider added and removed again,
 * round after round. A change's figure is the longest event-loop turn while it propagates
 * (the "loop stall": while it lasts the instance serves nothing else), so a change whose cost
 * grows with the processors it does not concern shows here; `publishedMs` is the time from
 * the change until every processor had been told of it. In a process of its own (as
 * every suite): the heap of 50,000 processors would weigh on the suites after it.
 */
import { pino } from 'pino';
import { createProsa, type Adaptor, type Prosa } from '../src/index.js';
import { benchScale, collectGarbage, figure, gcExposed, heapUsed, median, type BenchFigure, type BenchSuite } from './lib.js';
import { makeRecord } from './payload.js';

/** Figure names. */
export const SCALE = {
  start: (n: number) => `bus scale: start ${n} processors`,
  add: (n: number) => `service-table change on a running bus of ${n} processors: add a provider, loop stall`,
  remove: (n: number) => `service-table change on a running bus of ${n} processors: remove a provider, loop stall`,
} as const;

/** Bus sizes measured (a tenth with `--quick`). */
const SIZES = [10_000, 50_000];

const echo: Adaptor = { processRequest: (_service, request) => request };

/** The longest event-loop turn while a change propagated, and the time until it was published. */
interface Stall {
  stallMs: number;
  publishedMs: number;
}

/**
 * Runs `change` on `bus` and measures, from its start until the bus has published the new
 * service table to every processor (its `table` event) and one turn more, the longest
 * event-loop turn: a chain of `setImmediate` ticks notes the time between each turn and
 * the next. A full collection runs first, so no garbage left by earlier work is collected
 * inside the window.
 */
async function loopStall(bus: Prosa, change: () => Promise<unknown>): Promise<Stall> {
  collectGarbage();
  const published = new Promise<number>((resolve) => {
    const onTable = (): void => {
      bus.events.off('table', onTable);
      resolve(performance.now());
    };
    bus.events.on('table', onTable);
  });
  let last = performance.now();
  let longest = 0;
  let ticking = true;
  const tick = (): void => {
    const now = performance.now();
    if (now - last > longest) longest = now - last;
    last = now;
    if (ticking) setImmediate(tick);
  };
  const t0 = performance.now();
  setImmediate(tick);
  await change();
  const publishedAt = await published;
  await new Promise((resolve) => setImmediate(resolve)); // the tick after the publishing turn has run
  await new Promise((resolve) => setImmediate(resolve));
  ticking = false;
  return { stallMs: longest, publishedMs: publishedAt - t0 };
}

async function scale(processors: number, rounds: number): Promise<BenchFigure[]> {
  const bus = createProsa({ name: 'scale', logger: pino({ level: 'silent' }) });
  const before = heapUsed();
  const t0 = performance.now();
  for (let i = 0; i < processors; i++) bus.processor(`p${i}`, { services: [`S${i}`], adaptor: echo });
  await bus.start();
  const startMs = performance.now() - t0;
  const heapPerProcessor = (heapUsed() - before) / processors;
  try {
    const payload = makeRecord();
    const t1 = performance.now();
    const replies: Promise<unknown>[] = [];
    for (let i = 0; i < processors; i++) replies.push(bus.request(`S${i}`, payload));
    await Promise.all(replies);
    const requestOneEachMs = performance.now() - t1;
    if (bus.stats().responses !== processors) throw new Error('not every processor answered');

    const add = async (): Promise<void> => {
      const added = bus.processor('extra', { services: ['EXTRA'], adaptor: echo });
      if ((await added.when('serving', 'failed')) !== 'serving') throw new Error('the added provider did not serve');
      if (bus.services()['EXTRA'] === undefined) throw new Error('the added provider is not in the service table');
    };
    const remove = async (): Promise<void> => {
      await bus.remove('extra');
      if (bus.services()['EXTRA'] !== undefined) throw new Error('the removed provider is still in the service table');
    };
    await add(); // warm-up, untimed
    await remove();
    const adds: Stall[] = [];
    const removes: Stall[] = [];
    for (let r = 0; r < rounds; r++) {
      adds.push(await loopStall(bus, add));
      removes.push(await loopStall(bus, remove));
    }

    const t2 = performance.now();
    await bus.stop();
    const stopMs = performance.now() - t2;
    const stalls = (list: Stall[]) => list.map((s) => s.stallMs);
    const publishedMs = (list: Stall[]) => ({ publishedMs: median(list.map((s) => s.publishedMs)) });
    return [
      figure(SCALE.start(processors), [(processors * 1000) / startMs], {
        opsPerRound: processors,
        extra: {
          startMs: Math.round(startMs),
          requestOneEachMs: Math.round(requestOneEachMs),
          stopMs: Math.round(stopMs),
          heapPerIdleProcessorBytes: Math.round(heapPerProcessor),
          gcExposed: gcExposed() ? 'yes' : 'no (run through npm run bench)',
        },
      }),
      figure(SCALE.add(processors), stalls(adds), { unit: 'ms', extra: publishedMs(adds) }),
      figure(SCALE.remove(processors), stalls(removes), { unit: 'ms', extra: publishedMs(removes) }),
    ];
  } finally {
    if (bus.state !== 'stopped') await bus.stop();
  }
}

export default {
  name: 'scale',
  async run() {
    const { rounds, ops } = benchScale();
    const figures: BenchFigure[] = [];
    for (const size of SIZES) figures.push(...(await scale(ops(size), rounds)));
    return figures;
  },
} satisfies BenchSuite;
