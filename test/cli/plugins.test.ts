/**
 * Plugins from the command line, as a user meets them: `prosa new kind` writes a plugin
 * that `prosa run`, `prosa validate` and `prosa kinds --plugin` load at once; a plugin
 * that does not load is refused naming it; `prosa run --watch` reloads a plugin whose
 * file (or a file it imports from its folder) changes, replacing only its processors.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/cli/summary.js';
import { tempDir } from '../fixtures/settings.js';
import { prosa, start } from './command.js';

const ROOT = join(import.meta.dirname, '../..');
/** Each test starts several prosa children (tsx compiles on start): generous on a loaded machine. */
const SLOW = 90_000;
/** tsx's loader, for a child started outside this checkout (tsx is not found from there by name). */
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

let dir: ReturnType<typeof tempDir> | undefined;
afterEach(() => {
  dir?.remove();
  dir = undefined;
});

/** Runs `node <args>` in `cwd` to its end. */
function node(args: readonly string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, stdio: 'pipe' });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('prosa new kind', () => {
  it('writes a plugin, a settings file and a test that run at once', async () => {
    dir = tempDir();
    const at = join(dir.dir, 'upper');
    const made = await prosa(['new', 'kind', 'upper', '--dir', at]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain(`prosa run ${join(at, 'prosa.yaml')}`);
    expect(readFileSync(join(at, 'prosa.yaml'), 'utf8')).toContain('plugins: [./upper.mjs]');

    const run = await prosa(['run', join(at, 'prosa.yaml'), '--duration', '1', '--json', '--no-status']);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout.trim()) as RunSummary;
    expect(Object.keys(summary.processors)).toEqual(['upper-1', 'inj-1']);
    expect(summary.responses).toBeGreaterThan(10);
    expect(summary.errorCount).toBe(0);

    // The generated test, with prosa installed beside it (here: a package re-exporting this checkout).
    mkdirSync(join(dir.dir, 'node_modules/prosa'), { recursive: true });
    writeFileSync(join(dir.dir, 'node_modules/prosa/package.json'), JSON.stringify({ name: 'prosa', type: 'module', exports: './index.ts' }));
    writeFileSync(join(dir.dir, 'node_modules/prosa/index.ts'), `export * from ${JSON.stringify(join(ROOT, 'src/index.ts'))};\n`);
    const tested = await node(['--import', TSX, '--test', 'upper.test.mjs'], at);
    expect(tested.code, tested.output).toBe(0);
    expect(tested.output).toMatch(/# pass 3\n/);
  }, SLOW);

  it('writes TypeScript with --typescript, run through tsx', async () => {
    dir = tempDir();
    const at = join(dir.dir, 'ts');
    expect((await prosa(['new', 'kind', 'shout-it', '--typescript', '--dir', at])).code).toBe(0);
    // The generated settings reference covers plugin kinds.
    const listed = await prosa(['kinds', '--markdown', '--plugin', join(at, 'shout-it.mts')]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('## Kind `shout-it`\n\nAnswers each request with its field 1 after a prefix. (settings version 1)');
    expect(listed.stdout).toContain('| `prefix` | string | `"shout-it: "` | Put before the text of each answer. |');
    const checked = await prosa(['validate', join(at, 'prosa.yaml')]);
    expect(checked.stdout).toContain('valid (2 processors: shout-it-1 (shout-it), inj-1 (inj))');
  }, SLOW);

  it('refuses a name that is no kind name, and never overwrites a file', async () => {
    dir = tempDir();
    const bad = await prosa(['new', 'kind', 'Upper Case', '--dir', dir.dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"Upper Case" is not a kind name');
    dir.write('prosa.yaml', 'mine\n');
    const taken = await prosa(['new', 'kind', 'upper', '--dir', dir.dir]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`${join(dir.dir, 'prosa.yaml')} already exists; nothing written`);
    expect(readFileSync(join(dir.dir, 'prosa.yaml'), 'utf8')).toBe('mine\n');
  }, SLOW);
});

describe('plugins in prosa validate, run and kinds', () => {
  it('names the plugin that does not load, with exit 3 and no stack trace', async () => {
    dir = tempDir();
    dir.write('boom.mjs', "throw new Error('no licence key');\n");
    const file = dir.write('p.yaml', 'name: p\nplugins: [./boom.mjs, ./missing.mjs]\nprocessors: []\n');
    const checked = await prosa(['validate', file]);
    expect(checked.code).toBe(3);
    expect(checked.stderr).toContain(`${file}:2:11: plugins[0]: expected a plugin that loads (PluginLoadFailed), found plugin './boom.mjs' failed to load: no licence key`);
    expect(checked.stderr).not.toMatch(/\n\s+at /);
    const run = await prosa(['run', file, '--duration', '1']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("plugin './boom.mjs' failed to load: no licence key");
    const listed = await prosa(['kinds', '--plugin', join(dir.dir, 'boom.mjs')]);
    expect(listed.code).toBe(3);
    expect(listed.stderr).toBe(`prosa kinds: plugin '${join(dir.dir, 'boom.mjs')}' failed to load: no licence key\n`);
  }, SLOW);
});

describe('plugin kinds on worker threads', () => {
  it('runs a scaffolded kind on threads: 2, its workers finding prosa as the main thread does', async () => {
    dir = tempDir();
    const at = join(dir.dir, 'upper');
    expect((await prosa(['new', 'kind', 'upper', '--dir', at])).code).toBe(0);
    const file = join(at, 'prosa.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('    kind: upper\n', '    kind: upper\n    threads: 2\n'));
    // Each worker boots tsx from source: a little longer than a main-thread start.
    const run = await prosa(['run', file, '--duration', '3', '--json', '--no-status']);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout.trim()) as RunSummary;
    expect(summary.processors['upper-1']).not.toHaveProperty('crashes');
    expect(summary.responses).toBeGreaterThan(0);
    expect(summary.errorCount).toBe(0);
  }, SLOW);
});

describe('prosa run --watch with plugins', () => {
  it('reloads a plugin when a file it imports from its folder changes: only its processors are replaced, no request fails', async () => {
    dir = tempDir();
    mkdirSync(join(dir.dir, 'kinds'));
    const word = dir.write('kinds/word.mjs', "export const WORD = 'one';\n");
    dir.write(
      'kinds/word-kind.mjs',
      "import { defineFactory, SimpleStringTvf, z } from 'prosa';\nimport { WORD } from './word.mjs';\n" +
        "export const kinds = [defineFactory({ kind: 'word', description: 'Answers a word.', version: '1', settings: z.strictObject({}),\n" +
        '  create: () => ({ services: ["WORD"], adaptor: { processRequest: () => { const reply = new SimpleStringTvf(); reply.putString(1, WORD); return reply; } } }) })];\n',
    );
    const file = dir.write(
      'prosa.yaml',
      [
        'name: watched',
        'plugins: [./kinds/word-kind.mjs]',
        'shutdown: { graceMs: 500, terminateTimeoutMs: 200 }',
        'processors:',
        '  - { name: w, kind: word }',
        '  - { name: keep, kind: stub, settings: { services: [KEEP], latencyMs: 1 } }',
        '  - { name: inj-keep, kind: inj, settings: { service: KEEP, maxSpeed: 300, timeoutMs: 1000 } }',
        '  - { name: inj-word, kind: inj, settings: { service: WORD, maxSpeed: 300, timeoutMs: 1000 } }',
        '',
      ].join('\n'),
    );
    const running = start(['run', file, '--watch', '--json', '--no-status']);
    await running.waitForStderr(/settings re-applied on change and on SIGHUP/);
    await running.waitForStderr(/"proc":"inj-word".*"msg":"injecting"/);
    writeFileSync(word, "export const WORD = 'two';\n");
    await running.waitForStderr(/plugin changed: \.\/kinds\/word-kind\.mjs/);
    await running.waitForStderr(/settings applied: 0 started, 0 stopped, 1 replaced, 3 unchanged/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    running.child.kill('SIGTERM');
    const result = await running.finished;
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout.trim()) as RunSummary;
    expect(summary.errorCount).toBe(0);
    expect(summary.requests).toBe(summary.responses);
    const starts = result.stderr.split('\n').filter((line) => line.includes('"msg":"registered"'));
    expect(starts.filter((line) => line.includes('"proc":"w"'))).toHaveLength(2);
    expect(starts.filter((line) => line.includes('"proc":"keep"'))).toHaveLength(1);
    expect(starts.filter((line) => line.includes('"proc":"inj-keep"'))).toHaveLength(1);
  }, SLOW);
});
