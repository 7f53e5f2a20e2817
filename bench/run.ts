/**
 * Benchmark runner (`npm run bench [-- [--quick] [--rounds N] [suite...]]`): discovers
 * `bench/*.bench.ts`, runs the chosen suites one after another in this process, prints
 * every figure beside its peer with the ratio, and writes the figures to
 * `bench/results.json` (not with `--quick`). It exits non-zero only when a suite crashes or
 * the command line is wrong, never because of a figure.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_ENV, benchScale, type BenchFigure, type BenchSuite } from './lib.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const RESULTS_FILE = join(BENCH_DIR, 'results.json');
const SUITE_SUFFIX = '.bench.ts';

const USAGE = `usage: npm run bench -- [--quick] [--rounds N] [suite...]

  suite       a suite's name or file stem (bench/<stem>.bench.ts); default: every suite
  --rounds N  timed rounds per figure (default 5; 1 with --quick)
  --quick     a tenth of the operations: a smoke test; results.json is left unchanged
  --help      this text`;

/** A figure as written to results.json: which suite measured it, and its peer's rate. */
interface ResultFigure extends BenchFigure {
  suite: string;
  peerOpsPerSec?: number;
  ratio?: number;
}

/** The shape of bench/results.json. */
interface Results {
  date: string;
  node: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  /** `HEAD` when the run started; `dirty` if tracked files other than results.json differed. */
  commit: string | null;
  dirty: boolean | null;
  rounds: number;
  suites: string[];
  crashed: string[];
  figures: ResultFigure[];
}

/** Thrown for a bad command line: printed with the usage, exit code 2. */
class UsageError extends Error {}

interface SuiteFile {
  /** `peers` for `bench/peers.bench.ts`. */
  stem: string;
  path: string;
}

interface SuiteRun {
  suite: string;
  file: string;
  seconds: number;
  figures: BenchFigure[];
  error?: unknown;
}

function discoverSuiteFiles(): SuiteFile[] {
  return readdirSync(BENCH_DIR)
    .filter((name) => name.endsWith(SUITE_SUFFIX))
    .sort()
    .map((name) => ({ stem: name.slice(0, -SUITE_SUFFIX.length), path: join(BENCH_DIR, name) }));
}

async function loadSuite(file: SuiteFile): Promise<BenchSuite> {
  const mod = (await import(pathToFileURL(file.path).href)) as { default?: unknown };
  const suite = mod.default as Partial<BenchSuite> | undefined;
  if (typeof suite?.name !== 'string' || typeof suite.run !== 'function') {
    throw new Error(`${relative(process.cwd(), file.path)} does not default-export a BenchSuite { name, run }`);
  }
  return suite as BenchSuite;
}

/**
 * Picks the suites to run, in file order. An argument matches a file stem without importing
 * anything else; only when one does not are the other files imported to match suite names.
 */
async function selectSuites(files: SuiteFile[], wanted: string[]): Promise<Array<{ file: SuiteFile; suite: BenchSuite }>> {
  const chosen = new Set<SuiteFile>();
  const unmatched = new Set<string>();
  for (const name of wanted) {
    const file = files.find((f) => f.stem === name);
    if (file) chosen.add(file);
    else unmatched.add(name);
  }
  const loaded = new Map<SuiteFile, BenchSuite>();
  if (wanted.length === 0 || unmatched.size > 0) {
    for (const file of files) {
      if (chosen.has(file)) continue;
      const suite = await loadSuite(file);
      loaded.set(file, suite);
      if (wanted.length === 0 || unmatched.delete(suite.name)) chosen.add(file);
    }
  }
  if (unmatched.size > 0) {
    const known =
      files.map((f) => {
        const name = loaded.get(f)?.name;
        return name === undefined || name === f.stem ? f.stem : `${f.stem} (${name})`;
      }).join(', ') || '(none)';
    throw new UsageError(`no suite named ${[...unmatched].join(', ')}; suites: ${known}`);
  }
  const selected: Array<{ file: SuiteFile; suite: BenchSuite }> = [];
  for (const file of files) {
    if (chosen.has(file)) selected.push({ file, suite: loaded.get(file) ?? (await loadSuite(file)) });
  }
  return selected;
}

const UNITS: Array<[number, string]> = [
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** `2.31 M/s`, `845 k/s`, `12.3 /s`: three significant digits in the largest fitting unit. */
function formatRate(opsPerSec: number): string {
  if (!Number.isFinite(opsPerSec)) return `${opsPerSec} /s`;
  const [scale, unit] = UNITS.find(([s]) => opsPerSec >= s * 0.9995) ?? [1, ''];
  const v = opsPerSec / scale;
  const digits = v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2;
  return `${v.toFixed(digits)} ${unit}/s`;
}

/** Integers as they are, others with three significant digits and no exponent below 1e21. */
function formatNumber(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3);
}

/** `1.85x`. */
function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}x`;
}

/** Keys of `extra` that the table shows as the spread rather than as extra values. */
const SPREAD_KEYS = new Set(['minOpsPerSec', 'maxOpsPerSec', 'rounds', 'opsPerRound']);

function spreadOf(figure: BenchFigure): string {
  const min = figure.extra?.['minOpsPerSec'];
  const max = figure.extra?.['maxOpsPerSec'];
  if (typeof min !== 'number' || typeof max !== 'number') return '';
  return `${formatRate(min).replace(/ \S*\/s$/, '')}-${formatRate(max)}`;
}

function formatExtra(figure: BenchFigure): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(figure.extra ?? {})) {
    if (SPREAD_KEYS.has(key)) continue;
    if (typeof value === 'string') parts.push(`${key} ${value}`);
    else if (key.endsWith('OpsPerSec')) parts.push(`${key} ${formatRate(value)}`);
    else parts.push(`${key} ${formatNumber(value)}`);
  }
  return parts.join(', ');
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** Prints the table; returns the notes about peers that did not run or names used twice. */
function printTable(runs: SuiteRun[], byName: Map<string, BenchFigure>): string[] {
  const figures = runs.flatMap((r) => r.figures);
  const nameWidth = Math.max('figure'.length, ...figures.map((f) => f.name.length));
  const rateWidth = Math.max('ops/s'.length, ...figures.map((f) => formatRate(f.opsPerSec).length));
  const spreadWidth = Math.max('rounds min-max'.length, ...figures.map((f) => spreadOf(f).length));
  const ratioWidth = 'ratio'.length + 2;
  const notes: string[] = [];

  const line = (cells: string[]): string => `  ${cells.join('  ')}`.trimEnd();
  console.log(
    line([
      pad('figure', nameWidth),
      pad('ops/s', rateWidth, true),
      pad('rounds min-max', spreadWidth),
      pad('ratio', ratioWidth, true),
      'compared with (its ops/s)',
    ]),
  );
  for (const run of runs) {
    const status = run.error === undefined ? '' : ', CRASHED';
    console.log(`${run.suite} (${relative(process.cwd(), run.file)}, ${run.seconds.toFixed(1)} s${status})`);
    for (const figure of run.figures) {
      let ratio = '';
      let peerText = '';
      if (figure.comparedTo !== undefined) {
        const peer = byName.get(figure.comparedTo);
        if (peer) {
          ratio = formatRatio(figure.opsPerSec / peer.opsPerSec);
          peerText = `${peer.name} (${formatRate(peer.opsPerSec)})`;
        } else {
          ratio = '-';
          peerText = `${figure.comparedTo} (did not run)`;
          notes.push(`'${figure.name}' is compared with '${figure.comparedTo}', which did not run in this run`);
        }
      }
      console.log(
        line([
          pad(figure.name, nameWidth),
          pad(formatRate(figure.opsPerSec), rateWidth, true),
          pad(spreadOf(figure), spreadWidth),
          pad(ratio, ratioWidth, true),
          peerText,
        ]),
      );
      const extra = formatExtra(figure);
      if (extra !== '') console.log(`    ${extra}`);
    }
  }
  return notes;
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: BENCH_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Rounds for results.json: whole ops/s, three decimals for small values. */
function tidy(n: number): number {
  return Math.abs(n) >= 1000 ? Math.round(n) : Math.round(n * 1000) / 1000;
}

/** The figure in a stable key order (extra last), its numbers tidied. */
function tidyFigure(figure: ResultFigure): ResultFigure {
  const out: ResultFigure = { suite: figure.suite, name: figure.name, opsPerSec: tidy(figure.opsPerSec) };
  if (figure.comparedTo !== undefined) out.comparedTo = figure.comparedTo;
  if (figure.peerOpsPerSec !== undefined) out.peerOpsPerSec = tidy(figure.peerOpsPerSec);
  if (figure.ratio !== undefined) out.ratio = tidy(figure.ratio);
  if (figure.extra) {
    out.extra = Object.fromEntries(
      Object.entries(figure.extra).map(([k, v]) => [k, typeof v === 'number' ? tidy(v) : v]),
    );
  }
  return out;
}

function parseCommandLine(): { wanted: string[]; rounds?: string; quick: boolean; help: boolean } {
  try {
    const { values, positionals } = parseArgs({
      allowPositionals: true,
      options: {
        rounds: { type: 'string' },
        quick: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    return {
      wanted: positionals,
      ...(values.rounds === undefined ? {} : { rounds: values.rounds }),
      quick: values.quick,
      help: values.help,
    };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function main(): Promise<number> {
  const cli = parseCommandLine();
  if (cli.help) {
    console.log(USAGE);
    return 0;
  }
  // The suites read these through benchScale(); set them before any suite is imported.
  process.env[BENCH_ENV.quick] = cli.quick ? '1' : '0';
  if (cli.rounds !== undefined) process.env[BENCH_ENV.rounds] = cli.rounds;
  else delete process.env[BENCH_ENV.rounds];
  let scale;
  try {
    scale = benchScale();
  } catch (error) {
    throw new UsageError(`--rounds ${cli.rounds}: must be a positive integer`, { cause: error });
  }

  const selected = await selectSuites(discoverSuiteFiles(), cli.wanted);
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const porcelain = git(['status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench/results.json']);
  const cpus = os.cpus();
  console.log(
    `prosa bench: node ${process.version}, ${process.platform} ${process.arch}, ${cpus.length} x ${cpus[0]?.model ?? 'unknown cpu'}` +
      `, ${scale.rounds} round${scale.rounds === 1 ? '' : 's'}${scale.quick ? ', QUICK (smoke test: a tenth of the ops)' : ''}` +
      `${commit ? `, commit ${commit}${porcelain ? '+dirty' : ''}` : ''}`,
  );

  const runs: SuiteRun[] = [];
  for (const { file, suite } of selected) {
    process.stderr.write(`running ${suite.name} ... `);
    const t0 = process.hrtime.bigint();
    const run: SuiteRun = { suite: suite.name, file: file.path, seconds: 0, figures: [] };
    try {
      run.figures = await suite.run();
    } catch (error) {
      run.error = error;
    }
    run.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stderr.write(run.error === undefined ? `${run.seconds.toFixed(1)} s\n` : 'crashed\n');
    if (run.error !== undefined) {
      console.error(`suite ${suite.name} crashed:`, run.error);
    }
    runs.push(run);
  }

  const byName = new Map<string, BenchFigure>();
  const notes: string[] = [];
  for (const figure of runs.flatMap((r) => r.figures)) {
    if (byName.has(figure.name)) notes.push(`figure name '${figure.name}' is used twice; comparisons use the first`);
    else byName.set(figure.name, figure);
  }
  console.log('');
  notes.push(...printTable(runs, byName));
  for (const note of notes) console.log(`note: ${note}`);

  const crashed = runs.filter((r) => r.error !== undefined).map((r) => r.suite);
  if (scale.quick) {
    console.log(`\n--quick: ${relative(process.cwd(), RESULTS_FILE)} left unchanged`);
  } else {
    const results: Results = {
      date: new Date().toISOString(),
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      commit,
      dirty: porcelain === null ? null : porcelain !== '',
      rounds: scale.rounds,
      suites: runs.filter((r) => r.error === undefined).map((r) => r.suite),
      crashed,
      figures: runs.flatMap((r) =>
        r.figures.map((figure) => {
          const peer = figure.comparedTo === undefined ? undefined : byName.get(figure.comparedTo);
          return tidyFigure({
            suite: r.suite,
            ...figure,
            ...(peer ? { peerOpsPerSec: peer.opsPerSec, ratio: figure.opsPerSec / peer.opsPerSec } : {}),
          });
        }),
      ),
    };
    writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwrote ${relative(process.cwd(), RESULTS_FILE)} (${results.figures.length} figures)`);
  }
  if (crashed.length > 0) console.error(`crashed: ${crashed.join(', ')}`);
  return crashed.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // A suite that leaves a handle open (a timer, a socket) must not hang the run.
    setTimeout(() => {
      console.error('note: a suite left handles open; exiting anyway');
      process.exit(code);
    }, 2000).unref();
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  },
);
