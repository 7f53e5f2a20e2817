/**
 * Benchmark runner (`npm run bench [-- [--quick] [--rounds N] [suite...]]`): discovers
 * `bench/*.bench.ts` and runs each chosen suite, one after another, in a Node process of
 * its own (bench/child.ts), so that a heavy suite (10,000 processors, autocannon, a NATS
 * server) cannot slow the figures of the next. It prints every figure with its spread and
 * its ratio to each peer (pairs of rounds interleaved in that one process), and merges the
 * figures into `bench/results.json` suite by suite (not with `--quick`): a suite that did
 * not run keeps its figures there. It exits non-zero only when a suite crashes or the
 * command line is wrong, never because of a figure.
 */
import { execFileSync, fork } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChildReport } from './child.js';
import { BENCH_ENV, benchScale, type BenchFigure, type BenchUnit } from './lib.js';
import { printTables, ratiosOf, type Ratio, type SuiteTable } from './report.js';
import { BENCH_DIR, discoverSuiteFiles, loadSuite, type SuiteFile } from './suites.js';

const RESULTS_FILE = join(BENCH_DIR, 'results.json');
const CHILD = join(BENCH_DIR, 'child.ts');
const REPO_DIR = join(BENCH_DIR, '..');
/** What the figures depend on: a change elsewhere (docs) does not make a run `dirty`. */
const MEASURED_PATHS = ['src', 'bench', 'package.json', 'package-lock.json', 'tsconfig.json'];
/** The `format` of results.json this runner writes; a file of another format is replaced. */
const RESULTS_FORMAT = 2;

const USAGE = `usage: npm run bench -- [--quick] [--rounds N] [suite...]

  suite       a suite's name or file stem (bench/<stem>.bench.ts); default: every suite
  --rounds N  timed rounds per figure, interleaved with its peers' (default 5; 1 with --quick)
  --quick     a tenth of the operations: a smoke test; results.json is left unchanged
  --help      this text

Each suite runs in a process of its own; results.json keeps the figures of the suites not run.`;

/** A figure as written to results.json. */
interface ResultFigure {
  name: string;
  unit: BenchUnit;
  median: number;
  min: number;
  max: number;
  /** Every round's value, in the order measured. */
  rounds: number[];
  /** The ratio to each peer, over the rounds they shared. */
  ratios?: Ratio[];
  extra?: Record<string, number | string>;
}

/** One suite's entry in results.json: where, when and under what load it ran. */
interface SuiteResult {
  /** When the suite started. */
  date: string;
  /**
   * `HEAD` when the run started; `dirty` if the code measured ({@link MEASURED_PATHS}, but
   * results.json) differed from it.
   */
  commit: string | null;
  dirty: boolean | null;
  node: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  rounds: number;
  seconds: number;
  /** `os.loadavg()` (1, 5 and 15 minutes) when the suite started and when it ended. */
  loadAverage: { before: number[]; after: number[] };
  figures: ResultFigure[];
}

/** The shape of bench/results.json: the latest figures of each suite. */
interface Results {
  format: typeof RESULTS_FORMAT;
  suites: Record<string, SuiteResult>;
}

/** Thrown for a bad command line: printed with the usage, exit code 2. */
class UsageError extends Error {}

/** One suite's run in its child process. */
interface SuiteRun {
  file: SuiteFile;
  /** When the suite started. */
  date: string;
  suite: string;
  seconds: number;
  loadBefore: number[];
  loadAfter: number[];
  figures: BenchFigure[];
  error?: string;
}

/**
 * Picks the suite files to run, in file order. An argument matches a file stem without
 * importing anything; only when one does not are the other files imported to match suite
 * names.
 */
async function selectSuites(files: SuiteFile[], wanted: string[]): Promise<SuiteFile[]> {
  if (wanted.length === 0) return files;
  const chosen = new Set<SuiteFile>();
  const unmatched = new Set<string>();
  for (const want of wanted) {
    const file = files.find((f) => f.stem === want);
    if (file) chosen.add(file);
    else unmatched.add(want);
  }
  const names = new Map<SuiteFile, string>();
  if (unmatched.size > 0) {
    for (const file of files) {
      if (chosen.has(file)) continue;
      const { name } = await loadSuite(file.path);
      names.set(file, name);
      if (unmatched.delete(name)) chosen.add(file);
    }
  }
  if (unmatched.size > 0) {
    const known =
      files.map((f) => (names.get(f) ?? f.stem) === f.stem ? f.stem : `${f.stem} (${names.get(f)})`).join(', ') || '(none)';
    throw new UsageError(`no suite named ${[...unmatched].join(', ')}; suites: ${known}`);
  }
  return files.filter((f) => chosen.has(f));
}

/** Runs one suite file in a child process and waits for its report and its exit. */
function runChild(file: SuiteFile, env: NodeJS.ProcessEnv): Promise<ChildReport> {
  return new Promise((resolve) => {
    let report: ChildReport | undefined;
    const child = fork(CHILD, [file.path], {
      cwd: REPO_DIR,
      env,
      execArgv: ['--expose-gc', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (message: ChildReport) => void (report = message));
    child.on('error', (error) => void (report ??= { name: undefined, error: String(error) }));
    child.on('exit', (code, signal) => {
      resolve(report ?? { name: undefined, error: `its process exited (${signal ?? `code ${code}`}) without a report` });
    });
  });
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: REPO_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Rounds for results.json: whole numbers from 1000 up, four significant digits below. */
function tidy(n: number): number {
  return Math.abs(n) >= 1000 || !Number.isFinite(n) ? Math.round(n) : Number(n.toPrecision(4));
}

function tidyExtra(extra: Record<string, number | string>): Record<string, number | string> {
  return Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, typeof v === 'number' ? tidy(v) : v]));
}

function resultFigure(figure: BenchFigure, ratios: Ratio[]): ResultFigure {
  const out: ResultFigure = {
    name: figure.name,
    unit: figure.unit ?? 'ops/s',
    median: tidy(figure.value),
    min: tidy(Math.min(...figure.rounds)),
    max: tidy(Math.max(...figure.rounds)),
    rounds: figure.rounds.map(tidy),
  };
  if (ratios.length > 0) {
    out.ratios = ratios.map((r) => ({ to: r.to, median: tidy(r.median), min: tidy(r.min), max: tidy(r.max) }));
  }
  if (figure.extra !== undefined) out.extra = tidyExtra(figure.extra);
  return out;
}

/** The results.json there is, or an empty one when it is missing or of another format. */
function readResults(): Results {
  if (existsSync(RESULTS_FILE)) {
    try {
      const parsed = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Partial<Results>;
      if (parsed.format === RESULTS_FORMAT && typeof parsed.suites === 'object' && parsed.suites !== null) {
        return { format: RESULTS_FORMAT, suites: parsed.suites };
      }
    } catch {
      // unreadable: replaced below
    }
    console.log(`note: ${relative(process.cwd(), RESULTS_FILE)} was of an older format or unreadable; it is replaced`);
  }
  return { format: RESULTS_FORMAT, suites: {} };
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

/** `1.85 1.60 1.40`: the 1, 5 and 15 minute load averages. */
function formatLoad(load: number[]): string {
  return load.map((l) => l.toFixed(2)).join(' ');
}

async function main(): Promise<number> {
  const cli = parseCommandLine();
  if (cli.help) {
    console.log(USAGE);
    return 0;
  }
  // The suites read these through benchScale(), in this process and in each child.
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
  const porcelain = git(['status', '--porcelain', '--untracked-files=no', '--', ...MEASURED_PATHS, ':!bench/results.json']);
  const cpus = os.cpus();
  console.log(
    `prosa bench: node ${process.version}, ${process.platform} ${process.arch}, ${cpus.length} x ${cpus[0]?.model ?? 'unknown cpu'}` +
      `, ${scale.rounds} round${scale.rounds === 1 ? '' : 's'}${scale.quick ? ', QUICK (smoke test: a tenth of the ops)' : ''}` +
      `${commit ? `, commit ${commit}${porcelain ? '+dirty' : ''}` : ''}, load average ${formatLoad(os.loadavg())}`,
  );

  const runs: SuiteRun[] = [];
  for (const file of selected) {
    process.stderr.write(`running ${file.stem} ...\n`);
    const date = new Date().toISOString();
    const loadBefore = os.loadavg();
    const t0 = process.hrtime.bigint();
    const report = await runChild(file, process.env);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const run: SuiteRun = {
      file,
      date,
      suite: report.name ?? file.stem,
      seconds,
      loadBefore,
      loadAfter: os.loadavg(),
      figures: 'figures' in report ? report.figures : [],
      ...('error' in report ? { error: report.error } : {}),
    };
    process.stderr.write(`${run.suite}: ${run.error === undefined ? `${seconds.toFixed(1)} s` : 'CRASHED'}\n`);
    if (run.error !== undefined) console.error(`suite ${run.suite} crashed: ${run.error}`);
    runs.push(run);
  }

  const notes: string[] = [];
  const tables: SuiteTable[] = runs.map((run) => {
    const { ratios, notes: suiteNotes } = ratiosOf(run.figures);
    notes.push(...suiteNotes.map((n) => `${run.suite}: ${n}`));
    const status = run.error === undefined ? '' : ', CRASHED';
    return {
      heading:
        `${run.suite} (${relative(process.cwd(), run.file.path)}, ${run.seconds.toFixed(1)} s${status}, ` +
        `load average ${formatLoad(run.loadBefore)} -> ${formatLoad(run.loadAfter)})`,
      figures: run.figures,
      ratios,
    };
  });
  console.log('');
  printTables(tables);
  for (const note of notes) console.log(`note: ${note}`);

  const crashed = runs.filter((r) => r.error !== undefined).map((r) => r.suite);
  if (scale.quick) {
    console.log(`\n--quick: ${relative(process.cwd(), RESULTS_FILE)} left unchanged`);
  } else {
    const results = readResults();
    const written: string[] = [];
    runs.forEach((run, i) => {
      if (run.error !== undefined) return; // a crashed suite keeps the figures it had
      results.suites[run.suite] = {
        date: run.date,
        commit,
        dirty: porcelain === null ? null : porcelain !== '',
        node: process.version,
        platform: process.platform,
        arch: process.arch,
        cpus: cpus.length,
        cpuModel: cpus[0]?.model ?? 'unknown',
        rounds: scale.rounds,
        seconds: tidy(run.seconds),
        loadAverage: { before: run.loadBefore.map(tidy), after: run.loadAfter.map(tidy) },
        figures: run.figures.map((f) => resultFigure(f, tables[i]!.ratios.get(f) ?? [])),
      };
      written.push(run.suite);
    });
    results.suites = Object.fromEntries(Object.entries(results.suites).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
    const kept = Object.keys(results.suites).filter((s) => !written.includes(s));
    console.log(
      `\nwrote ${relative(process.cwd(), RESULTS_FILE)}: ${written.join(', ') || 'no suite'}` +
        (kept.length > 0 ? ` (kept as they were: ${kept.join(', ')})` : ''),
    );
  }
  if (crashed.length > 0) console.error(`crashed: ${crashed.join(', ')}`);
  return crashed.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
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
