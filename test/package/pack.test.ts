/**
 * The package as users get it: `npm pack` of a clean copy of the repository (no `dist/`:
 * `prepack` builds it), the tarball installed into a fresh folder (from the local npm
 * cache where it can), then README's embedding example and `npx prosa run --duration 2`
 * run there, and `import 'prosa'` checked to load none of the integrations it leaves to
 * its subpath entries. The one slow test of the suite (a build and an install).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const SLOW = 180_000;

/** What a clone holds that the package is built from (no `dist/`, no `node_modules/` of its own). */
const CLONE_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'src', 'docs', 'examples', 'scripts'];

let work: string;
let tarball: string;
let app: string;
let packed: string[];

/** Runs `command` in `cwd`; resolves with its output, rejects with it when the exit code is not 0. */
async function sh(cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return run(command, args, { cwd, env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...env }, maxBuffer: 16 * 1024 * 1024 });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'prosa-pack-'));
  const clone = join(work, 'clone');
  for (const file of CLONE_FILES) cpSync(join(ROOT, file), join(clone, file), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
  const { stdout } = await sh(clone, NPM, ['pack', '--json', '--pack-destination', work]);
  const [report] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  tarball = join(work, report.filename);
  packed = report.files.map((file) => file.path);
  app = join(work, 'app');
  cpSync(join(ROOT, 'test/package/fixtures/app'), app, { recursive: true });
  await sh(app, NPM, ['install', '--prefer-offline', '--no-package-lock', tarball]);
}, SLOW);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds the build, the sources its maps lead to, the docs, the examples and the license', () => {
    for (const file of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/testing.js', 'dist/console/page/index.html', 'src/index.ts', 'docs/architecture.md', 'examples/demo.yaml']) {
      expect(packed).toContain(file);
    }
    expect(packed.filter((file) => /^(test|bench|scripts|node_modules|src\/console\/page)\//.test(file))).toEqual([]);
    const map = JSON.parse(readFileSync(join(app, 'node_modules/prosa/dist/actors/prosa.js.map'), 'utf8')) as { sources: string[] };
    expect(map.sources.map((source) => existsSync(resolve(app, 'node_modules/prosa/dist/actors', source)))).toEqual([true]);
    expect(readFileSync(join(app, 'node_modules/prosa/LICENSE'), 'utf8')).toContain('Apache License');
  });

  it("runs README's embedding example", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = /## Embedding the bus\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("from 'prosa'");
    writeFileSync(join(app, 'embedding.mjs'), example!);
    const { stdout } = await sh(app, process.execPath, ['embedding.mjs'], { PROSA_LOG_LEVEL: 'silent' });
    expect(stdout).toBe('hello\n');
  }, SLOW);

  it('runs npx prosa run --duration 2', async () => {
    const { stdout } = await sh(app, 'npx', ['--offline', 'prosa', 'run', '--duration', '2', '--json']);
    const summary = JSON.parse(stdout) as { responses: number; errorCount: number };
    expect(summary.responses).toBeGreaterThan(0);
    expect(summary.errorCount).toBe(0);
  }, SLOW);

  it('scaffolds a kind with npx prosa new kind, which runs, and whose test passes, as installed', async () => {
    await sh(app, 'npx', ['--offline', 'prosa', 'new', 'kind', 'upper']);
    const { stdout } = await sh(app, 'npx', ['--offline', 'prosa', 'run', 'upper/prosa.yaml', '--duration', '1', '--json', '--no-status']);
    const summary = JSON.parse(stdout) as { responses: number; errorCount: number; processors: Record<string, unknown> };
    expect(Object.keys(summary.processors)).toEqual(['upper-1', 'inj-1']);
    expect(summary.responses).toBeGreaterThan(0);
    expect(summary.errorCount).toBe(0);
    const tested = await sh(join(app, 'upper'), process.execPath, ['--test', 'upper.test.mjs']);
    expect(tested.stdout).toMatch(/# pass 3\n/);
  }, SLOW);

  it("loads none of the subpath entries' packages on import 'prosa', and each entry on its own", async () => {
    const { stdout } = await sh(app, process.execPath, ['--import', './record-packages.mjs', 'import-entries.mjs']);
    const loaded = JSON.parse(stdout) as Record<string, string[]>;
    expect(loaded['prosa']!.filter((name) => ['nats', 'undici', 'prom-client', 'ws', '@statelyai/inspect', 'pino-pretty'].includes(name))).toEqual([]);
    expect(loaded['prosa']).toContain('xstate');
    expect(loaded['prosa/nats']).toContain('nats');
    expect(loaded['prosa/observability']).toContain('prom-client');
    expect(loaded['prosa/machines']).toEqual([]);
  }, SLOW);

  it('names the optional packages to install when a feature needs one that is not installed', async () => {
    // npm does not install optional peers: the inspector's are missing from this app.
    const inspect = sh(app, 'npx', ['--offline', 'prosa', 'run', '--duration', '1', '--no-status', '--inspect', '0']);
    await expect(inspect).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('the inspector (--inspect) needs the optional packages @statelyai/inspect and ws: npm install @statelyai/inspect ws') });
    const { stderr } = await inspect.catch((error: { stderr: string }) => error);
    expect(stderr).not.toMatch(/\n\s+at /);
  }, SLOW);
});
