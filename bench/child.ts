/**
 * One suite in a Node process of its own, so that no suite's heap, JIT state or left-over
 * load weighs on another's figures: `bench/run.ts` forks
 * `node --expose-gc --import tsx bench/child.ts <suite file>` with an IPC channel, and this
 * sends back one {@link ChildReport}.
 */
import { inspect } from 'node:util';
import type { BenchFigure } from './lib.js';
import { loadSuite } from './suites.js';

/** What a child sends its runner: the suite's figures, or why it crashed. */
export type ChildReport = { name: string; figures: BenchFigure[] } | { name: string | undefined; error: string };

/** Throws unless `figures` is a list of well-formed figures with unique names. */
function checkFigures(figures: unknown): asserts figures is BenchFigure[] {
  if (!Array.isArray(figures)) throw new TypeError(`run() resolved with ${inspect(figures)}, not a list of figures`);
  const names = new Set<string>();
  for (const f of figures as Partial<BenchFigure>[]) {
    const ok =
      typeof f?.name === 'string' &&
      typeof f.value === 'number' &&
      Array.isArray(f.rounds) &&
      f.rounds.length > 0 &&
      f.rounds.every((v) => typeof v === 'number');
    if (!ok) throw new TypeError(`not a figure { name, value, rounds }: ${inspect(f)}`);
    if (names.has(f.name!)) throw new TypeError(`figure name '${f.name}' is used twice`);
    names.add(f.name!);
  }
}

async function runSuite(path: string): Promise<ChildReport> {
  let name: string | undefined;
  try {
    const suite = await loadSuite(path);
    name = suite.name;
    const figures: unknown = await suite.run();
    checkFigures(figures);
    return { name, figures };
  } catch (error) {
    return { name, error: inspect(error) };
  }
}

const path = process.argv[2];
if (path === undefined || process.send === undefined) {
  console.error('bench/child.ts is forked by bench/run.ts: npm run bench -- <suite>');
  process.exit(2);
}
const report = await runSuite(path);
process.send(report, () => {
  process.disconnect();
  // A suite that leaves a handle open (a timer, a socket) must not hang the run.
  setTimeout(() => {
    console.error(`note: suite ${report.name ?? path} left handles open; its process exits anyway`);
    process.exit(0);
  }, 2000).unref();
});
