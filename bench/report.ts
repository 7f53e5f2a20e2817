/**
 * The table `bench/run.ts` prints, and the ratios in it: each ratio pairs round `i` of a
 * figure with round `i` of its peer (measured next to each other, in one process) and
 * reports the median of those per-round ratios and their range.
 */
import { median, type BenchFigure, type BenchUnit } from './lib.js';

/** A figure's ratio to one of its peers, over the rounds they shared. */
export interface Ratio {
  /** The peer's name. */
  to: string;
  /** Median over the rounds of `this round's value / the peer's same round's value`. */
  median: number;
  min: number;
  max: number;
}

/** The ratios of every figure of one suite to its peers, and notes on peers that are missing. */
export function ratiosOf(figures: readonly BenchFigure[]): { ratios: Map<BenchFigure, Ratio[]>; notes: string[] } {
  const byName = new Map(figures.map((f) => [f.name, f]));
  const ratios = new Map<BenchFigure, Ratio[]>();
  const notes: string[] = [];
  for (const figure of figures) {
    const list: Ratio[] = [];
    for (const to of figure.comparedTo ?? []) {
      const peer = byName.get(to);
      if (peer === undefined) {
        notes.push(`'${figure.name}' is compared with '${to}', which this suite did not report`);
      } else if (peer.rounds.length !== figure.rounds.length || (peer.unit ?? 'ops/s') !== (figure.unit ?? 'ops/s')) {
        notes.push(`'${figure.name}' and '${to}' were not measured in the same rounds and unit: no ratio`);
      } else {
        const perRound = figure.rounds.map((v, i) => v / peer.rounds[i]!);
        list.push({ to, median: median(perRound), min: Math.min(...perRound), max: Math.max(...perRound) });
      }
    }
    ratios.set(figure, list);
  }
  return { ratios, notes };
}

const PREFIXES: Array<[number, string]> = [
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
  [1, ''],
];

/** Three significant digits, no exponent. */
function digits3(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return v.toFixed(a >= 99.95 ? 0 : a >= 9.995 ? 1 : a >= 0.9995 ? 2 : 3);
}

/** The scale and unit text `max` is written in: `[1e6, 'M/s']` for 2.3e6 ops/s. */
function scaleFor(max: number, unit: BenchUnit): [number, string] {
  if (unit === 'ms') return [1, 'ms'];
  const [scale, prefix] = PREFIXES.find(([s]) => Math.abs(max) >= s * 0.9995) ?? [1, ''];
  return [scale, unit === 'B' ? `${prefix}B` : `${prefix}/s`];
}

/** `2.31 M/s`, `845 k/s`, `970 B`, `1.64 kB`, `81.2 ms`. */
export function formatValue(value: number, unit: BenchUnit = 'ops/s'): string {
  const [scale, text] = scaleFor(value, unit);
  return `${digits3(value / scale)} ${text}`;
}

/** `7.58-7.87 M/s`: both ends in the larger one's unit. */
export function formatSpread(min: number, max: number, unit: BenchUnit = 'ops/s'): string {
  const [scale, text] = scaleFor(max, unit);
  return `${digits3(min / scale)}-${digits3(max / scale)} ${text}`;
}

/** `0.62x [0.55-0.71]`. */
export function formatRatio(ratio: Ratio): string {
  return `${ratio.median.toFixed(2)}x [${ratio.min.toFixed(2)}-${ratio.max.toFixed(2)}]`;
}

/** Extra values the table leaves to results.json. */
const QUIET_EXTRA = new Set(['opsPerRound']);

/** `p50Ms 1.10, p99Ms 3.20`: a figure's extra values, but for {@link QUIET_EXTRA}. */
function formatExtra(figure: BenchFigure): string {
  return Object.entries(figure.extra ?? {})
    .filter(([key]) => !QUIET_EXTRA.has(key))
    .map(([key, value]) => {
      if (typeof value === 'string') return `${key} ${value}`;
      return `${key} ${Number.isInteger(value) ? value : Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3)}`;
    })
    .join(', ');
}

/** One suite's figures as the table shows them. */
export interface SuiteTable {
  /** The heading line of the suite: its name, file, time, load. */
  heading: string;
  figures: readonly BenchFigure[];
  ratios: Map<BenchFigure, Ratio[]>;
}

/** Prints the table of every suite, columns aligned across suites. */
export function printTables(tables: readonly SuiteTable[]): void {
  const figures = tables.flatMap((t) => t.figures);
  const cells = (f: BenchFigure) => {
    const min = Math.min(...f.rounds);
    const max = Math.max(...f.rounds);
    return { value: formatValue(f.value, f.unit), spread: formatSpread(min, max, f.unit) };
  };
  const rows = new Map(figures.map((f) => [f, cells(f)]));
  const ratioTexts = tables.flatMap((t) => [...t.ratios.values()].flat().map(formatRatio));
  const nameWidth = Math.max('figure'.length, ...figures.map((f) => f.name.length));
  const valueWidth = Math.max('median'.length, ...[...rows.values()].map((c) => c.value.length));
  const spreadWidth = Math.max('rounds min-max'.length, ...[...rows.values()].map((c) => c.spread.length));
  const ratioWidth = Math.max('ratio [rounds min-max]'.length, ...ratioTexts.map((t) => t.length));
  const line = (cells: string[]): string => `  ${cells.join('  ')}`.trimEnd();

  console.log(
    line([
      'figure'.padEnd(nameWidth),
      'median'.padStart(valueWidth),
      'rounds min-max'.padEnd(spreadWidth),
      'ratio [rounds min-max]'.padEnd(ratioWidth),
      'compared with',
    ]),
  );
  for (const table of tables) {
    console.log(table.heading);
    for (const figure of table.figures) {
      const { value, spread } = rows.get(figure)!;
      const ratios = table.ratios.get(figure) ?? [];
      const [first, ...more] = ratios;
      console.log(
        line([
          figure.name.padEnd(nameWidth),
          value.padStart(valueWidth),
          spread.padEnd(spreadWidth),
          (first === undefined ? '' : formatRatio(first)).padEnd(ratioWidth),
          first?.to ?? '',
        ]),
      );
      for (const ratio of more) {
        console.log(line([''.padEnd(nameWidth), ''.padStart(valueWidth), ''.padEnd(spreadWidth), formatRatio(ratio).padEnd(ratioWidth), ratio.to]));
      }
      const extra = formatExtra(figure);
      if (extra !== '') console.log(`    ${extra}`);
    }
  }
}

/**
 * Runs a suite in this process and prints its table: for a suite file run directly
 * (`npx tsx bench/tvf.bench.ts`). `bench/run.ts` is the usual way in.
 */
export async function runStandalone(suite: { name: string; run(): Promise<BenchFigure[]> }): Promise<void> {
  const figures = await suite.run();
  const { ratios, notes } = ratiosOf(figures);
  printTables([{ heading: suite.name, figures, ratios }]);
  for (const note of notes) console.log(`note: ${note}`);
}
