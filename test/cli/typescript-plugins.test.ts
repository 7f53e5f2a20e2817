/**
 * TypeScript plugins with prosa as a user installs it: compiled to JavaScript, started
 * by plain `node` (no TypeScript loader), and no tsx beside it. A `.mts` plugin is then
 * refused with `NoTypeScriptLoader` saying what to do; with tsx installed in the settings
 * file's folder, prosa registers it and the plugin loads.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../fixtures/settings.js';

const ROOT = join(import.meta.dirname, '../..');
let dir: ReturnType<typeof tempDir>;
let main: string;

/** src/ compiled file by file (no type check: tsc --noEmit does that) into `<out>/dist`, with package.json and node_modules but tsx. */
function installProsa(out: string): string {
  const walk = (folder: string): string[] =>
    readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(folder, entry.name)) : entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [join(folder, entry.name)] : [],
    );
  for (const file of walk(join(ROOT, 'src'))) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      fileName: file,
    });
    const target = join(out, 'dist', relative(join(ROOT, 'src'), file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  cpSync(join(ROOT, 'package.json'), join(out, 'package.json'));
  mkdirSync(join(out, 'node_modules'));
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name === 'tsx' || name === '.bin' || name.startsWith('.')) continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(out, 'node_modules', name));
  }
  return join(out, 'dist/cli/main.js');
}

/** Runs the installed prosa with plain node. */
function prosa(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: dir.dir, stdio: 'pipe', env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(() => {
  dir = tempDir();
  main = installProsa(join(dir.dir, 'prosa'));
});
afterAll(() => dir.remove());

const PLUGIN = `import { defineFactory, z } from 'prosa';
const answer: string = 'typed';
export const kinds = [defineFactory({ kind: 'typed', description: 'A TypeScript kind.', version: '1', settings: z.strictObject({}),
  create: () => ({ services: ['TYPED'], adaptor: { processRequest: (_service: string, request) => request } }) })];
void answer;
`;

describe('TypeScript plugins without a loader', () => {
  it('runs JavaScript plugins, and refuses a TypeScript one saying exactly what to do', async () => {
    const at = join(dir.dir, 'plain');
    mkdirSync(at);
    writeFileSync(join(at, 'typed.mts'), PLUGIN);
    writeFileSync(join(at, 'js.mjs'), PLUGIN.replace(/: string/g, '').replace(/'typed'/g, "'js'"));
    writeFileSync(join(at, 'js.yaml'), 'name: p\nplugins: [./js.mjs]\nprocessors:\n  - { name: one, kind: js }\n');
    writeFileSync(join(at, 'ts.yaml'), 'name: p\nplugins: [./typed.mts]\nprocessors:\n  - { name: one, kind: typed }\n');
    const js = await prosa(['validate', join(at, 'js.yaml')]);
    expect(js.code, js.stderr).toBe(0);
    expect(js.stdout).toContain('valid (1 processor: one (js))');
    const typed = await prosa(['validate', join(at, 'ts.yaml')]);
    expect(typed.code).toBe(3);
    expect(typed.stderr).toContain(
      "plugins[0]: expected a plugin that loads (NoTypeScriptLoader), found plugin './typed.mts' is TypeScript and no TypeScript loader is available: " +
        'install tsx where the settings file is (npm install --save-dev tsx), or start prosa with one (node --import tsx), or compile the plugin to JavaScript and name the .js file',
    );
  });

  it('registers tsx when the settings file folder has it', async () => {
    const at = join(dir.dir, 'with-tsx');
    mkdirSync(join(at, 'node_modules'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules/tsx'), join(at, 'node_modules/tsx'));
    writeFileSync(join(at, 'typed.mts'), PLUGIN);
    writeFileSync(join(at, 'ts.yaml'), 'name: p\nplugins: [./typed.mts]\nprocessors:\n  - { name: one, kind: typed }\n');
    const typed = await prosa(['validate', join(at, 'ts.yaml')]);
    expect(typed.code, typed.stderr).toBe(0);
    expect(typed.stdout).toContain('valid (1 processor: one (typed))');
    rmSync(join(at, 'node_modules/tsx'));
  });
});
