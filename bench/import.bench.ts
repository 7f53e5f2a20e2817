/**
 * Import cost: what `import 'prosa'` (and each subpath the package exports) costs a new
 * Node process, in wall time and peak RSS, beside bare XState (the library prosa is built
 * on) and an empty Node process (the floor). Each sample is a fresh `node -e` process
 * importing the entry of the package as built (`tsc -p tsconfig.build.json`, into a
 * temporary folder beside a `package.json` copy and the repository's `node_modules`), the
 * targets taking turns round by round. Wall time runs from spawn to exit, so it holds the
 * process start a user pays too; RSS is the child's own `maxRSS` once the import settled.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { figure, interleave, type BenchFigure, type BenchSuite } from './lib.js';
import { runStandalone } from './report.js';

const REPO = resolve(import.meta.dirname, '..');

/** Figure names. */
export const IMPORT = {
  time: (what: string) => `import cost, wall time: ${what}`,
  rss: (what: string) => `import cost, peak RSS: ${what}`,
} as const;

/** The floor and the peer, then the package's entries. */
const NODE = 'node, empty script';
const XSTATE = "import 'xstate'";

/** Builds the package into a temporary folder that resolves `prosa` to itself; returns the folder. */
function buildPackage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'prosa-import-bench-'));
  execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(REPO, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')], {
    stdio: 'inherit',
  });
  cpSync(join(REPO, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** The specifiers of the package's entries, from its `exports` (`prosa`, `prosa/http`, ...). */
function entries(dir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> };
  return Object.keys(manifest.exports)
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`));
}

/** One sample: a fresh process running `script` in `dir`; its wall time (ms) and peak RSS (bytes). */
function sample(dir: string, script: string): Promise<{ ms: number; rss: number }> {
  const t0 = performance.now();
  return new Promise((done, fail) => {
    execFile(process.execPath, ['-e', script], { cwd: dir }, (error, stdout) => {
      if (error !== null) return fail(error);
      const rss = Number(stdout.trim()) * 1024;
      if (!(rss > 0)) return fail(new Error(`no RSS from '${script}': '${stdout}'`));
      done({ ms: performance.now() - t0, rss });
    });
  });
}

const REPORT_RSS = 'process.stdout.write(String(process.resourceUsage().maxRSS))';

const suite: BenchSuite = {
  name: 'import',
  async run(): Promise<BenchFigure[]> {
    const dir = buildPackage();
    try {
      const targets: Record<string, string> = { [NODE]: REPORT_RSS, [XSTATE]: `import('xstate').then(() => ${REPORT_RSS})` };
      for (const specifier of entries(dir)) targets[`import '${specifier}'`] = `import('${specifier}').then(() => ${REPORT_RSS})`;
      const rss: Record<string, number[]> = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
      // One untimed process of each first (disk cache), then rounds without interleave's warm-up,
      // so that sample i of the RSS lists pairs with round i of the times.
      for (const script of Object.values(targets)) await sample(dir, script);
      const samplers = Object.fromEntries(
        Object.entries(targets).map(([name, script]) => [
          name,
          async () => {
            const { ms, rss: bytes } = await sample(dir, script);
            rss[name]!.push(bytes);
            return ms;
          },
        ]),
      );
      const times = await interleave(samplers, undefined, { warmUp: false });
      const figures: BenchFigure[] = [];
      for (const name of Object.keys(targets)) {
        const peers = name === NODE ? undefined : name === XSTATE ? [IMPORT.time(NODE)] : [IMPORT.time(XSTATE), IMPORT.time(NODE)];
        figures.push(figure(IMPORT.time(name), times[name]!, { unit: 'ms', comparedTo: peers }));
      }
      for (const name of Object.keys(targets)) {
        const peers = name === NODE ? undefined : name === XSTATE ? [IMPORT.rss(NODE)] : [IMPORT.rss(XSTATE), IMPORT.rss(NODE)];
        figures.push(figure(IMPORT.rss(name), rss[name]!, { unit: 'B', comparedTo: peers }));
      }
      return figures;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default suite;


if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runStandalone(suite);
}
