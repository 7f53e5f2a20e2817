/**
 * loadPlugins: plugin modules (written to a temp folder) loaded into a KindRegistry, and
 * every way a plugin can be unusable, each a typed error naming the plugin.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KindRegistry, loadPlugins, loadSettingsWithPlugins, PluginError, PluginSet, SettingsError } from '../../src/config/index.js';
import { defaultKinds } from '../../src/processors/index.js';

const ROOT = join(import.meta.dirname, '../..');
const ZOD = pathToFileURL(join(ROOT, 'node_modules/zod/index.js')).href;
const dir = mkdtempSync(join(tmpdir(), 'prosa-plugins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `files` (name -> text) into a fresh folder; returns the settings file path there. */
function folder(files: Record<string, string>): string {
  const at = mkdtempSync(join(dir, 'case-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(at, name, '..'), { recursive: true });
    writeFileSync(join(at, name), text);
  }
  return join(at, 'prosa.yaml');
}

/** A plugin module providing `kinds` (each answers its kind's name). */
function plugin(kinds: readonly string[], exportAs = 'export const kinds ='): string {
  const factories = kinds.map(
    (kind) =>
      `{ kind: ${JSON.stringify(kind)}, description: 'test kind', version: '1', settings: z.strictObject({}), create: () => ({ services: [], adaptor: {} }) }`,
  );
  return `import { z } from ${JSON.stringify(ZOD)};\n${exportAs} [${factories.join(', ')}];\n`;
}

async function failure(promise: Promise<unknown>): Promise<PluginError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PluginError);
  return error as PluginError;
}

describe('loadPlugins', () => {
  it('registers the kinds of `kinds` and of a default export, each with its module, relative to the settings file', async () => {
    const from = folder({ 'kinds/a.mjs': plugin(['alpha', 'beta']), 'b.mjs': plugin(['gamma'], 'export default') });
    const kinds = defaultKinds();
    const loaded = await loadPlugins(['./kinds/a.mjs', './b.mjs'], kinds, { from });
    expect(loaded.plugins.map((p) => p.kinds)).toEqual([['alpha', 'beta'], ['gamma']]);
    expect(kinds.moduleOf('alpha')).toBe(pathToFileURL(join(from, '../kinds/a.mjs')).href);
    expect(kinds.has('gamma')).toBe(true);
    loaded.dispose();
    expect(kinds.kinds()).toEqual(defaultKinds().kinds());
  });

  it('says a plugin is not found, naming it and where it looked', async () => {
    const from = folder({});
    const missing = await failure(loadPlugins(['./nope.mjs'], new KindRegistry(), { from }));
    expect(missing).toMatchObject({ kind: 'PluginNotFound', plugin: './nope.mjs', recoverable: false });
    expect(missing.message).toContain(join(from, '../nope.mjs'));
    const noPackage = await failure(loadPlugins(['@acme/prosa-nothing'], new KindRegistry(), { from }));
    expect(noPackage).toMatchObject({ kind: 'PluginNotFound', plugin: '@acme/prosa-nothing' });
    expect(noPackage.message).toContain('install the package');
  });

  it('resolves a package name from the settings file folder', async () => {
    const from = folder({
      'node_modules/@acme/kinds/package.json': JSON.stringify({ name: '@acme/kinds', type: 'module', exports: { '.': { import: './main.js' } } }),
      'node_modules/@acme/kinds/main.js': plugin(['acme']),
    });
    const kinds = new KindRegistry();
    const loaded = await loadPlugins(['@acme/kinds'], kinds, { from });
    expect(loaded.plugins[0]!.root).toBe(join(from, '../node_modules/@acme/kinds'));
    expect(kinds.has('acme')).toBe(true);
  });

  it('says a plugin fails to load, with its error', async () => {
    const from = folder({ 'boom.mjs': "throw new Error('no licence key');\n", 'syntax.mjs': 'export const = ;\n' });
    const boom = await failure(loadPlugins(['./boom.mjs'], new KindRegistry(), { from }));
    expect(boom).toMatchObject({ kind: 'PluginLoadFailed', plugin: './boom.mjs' });
    expect(boom.message).toContain('no licence key');
    expect((await failure(loadPlugins(['./syntax.mjs'], new KindRegistry(), { from }))).kind).toBe('PluginLoadFailed');
  });

  it('says a plugin exports nothing usable, or a non-factory item', async () => {
    const from = folder({
      'none.mjs': 'export const factories = [];\n',
      'empty.mjs': 'export const kinds = [];\n',
      'bad.mjs': "export const kinds = [{ kind: 'x' }];\n",
      'hostile.mjs': 'export const kinds = [null];\n',
    });
    const none = await failure(loadPlugins(['./none.mjs'], new KindRegistry(), { from }));
    expect(none).toMatchObject({ kind: 'PluginExportsNothing', plugin: './none.mjs' });
    expect(none.message).toContain("exports 'factories'");
    expect((await failure(loadPlugins(['./empty.mjs'], new KindRegistry(), { from }))).message).toContain('an empty list');
    const bad = await failure(loadPlugins(['./bad.mjs'], new KindRegistry(), { from }));
    expect(bad).toMatchObject({ kind: 'InvalidPluginKind' });
    expect(bad.message).toContain("kinds[0] is not a factory (defineFactory): it 'x' needs");
    expect((await failure(loadPlugins(['./hostile.mjs'], new KindRegistry(), { from }))).kind).toBe('InvalidPluginKind');
  });

  it('refuses a kind that clashes with a built-in, another plugin or itself; all or nothing', async () => {
    const from = folder({ 'a.mjs': plugin(['alpha']), 'b.mjs': plugin(['alpha']), 'stub.mjs': plugin(['stub']), 'twice.mjs': plugin(['t', 't']) });
    const kinds = defaultKinds();
    const clash = await failure(loadPlugins(['./a.mjs', './b.mjs'], kinds, { from }));
    expect(clash).toMatchObject({ kind: 'KindClash', plugin: './b.mjs' });
    expect(clash.message).toContain("kind 'alpha', which is taken by plugin './a.mjs'");
    expect(kinds.has('alpha')).toBe(false);
    expect((await failure(loadPlugins(['./stub.mjs'], kinds, { from }))).message).toContain('taken by a built-in kind');
    expect((await failure(loadPlugins(['./twice.mjs'], kinds, { from }))).message).toContain('twice in its list');
    expect(kinds.kinds()).toEqual(defaultKinds().kinds());
  });
});

describe('settings with plugins', () => {
  it('loads the plugins a settings file names before checking its processors', async () => {
    const from = folder({ 'a.mjs': plugin(['alpha']) });
    writeFileSync(from, 'name: p\nplugins: [./a.mjs]\nprocessors:\n  - { name: one, kind: alpha }\n');
    const kinds = defaultKinds();
    const plugins = new PluginSet(kinds, from);
    const settings = await loadSettingsWithPlugins(from, { kinds, env: {}, plugins });
    expect(settings.plugins).toEqual(['./a.mjs']);
    expect(kinds.has('alpha')).toBe(true);
    plugins.close();
    expect(kinds.has('alpha')).toBe(false);
  });

  it('reports a plugin that does not load as an issue at its place in the list, with its line', async () => {
    const from = folder({ 'a.mjs': plugin(['alpha']) });
    writeFileSync(from, 'name: p\nplugins:\n  - ./a.mjs\n  - ./missing.mjs\nprocessors:\n  - { name: one, kind: alpha }\n');
    const kinds = defaultKinds();
    const plugins = new PluginSet(kinds, from);
    const error = await loadSettingsWithPlugins(from, { kinds, env: {}, plugins }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).issues).toEqual([
      expect.objectContaining({ path: 'plugins[1]', line: 4, expected: 'a plugin that loads (PluginNotFound)', found: expect.stringContaining("plugin './missing.mjs' not found") }),
    ]);
    expect(kinds.has('alpha')).toBe(false);
  });

  it('loads the list an environment override gives (PROSA__PLUGINS), as the settings then say', async () => {
    const from = folder({ 'a.mjs': plugin(['alpha']), 'b.mjs': plugin(['beta']) });
    writeFileSync(from, 'name: p\nplugins: [./a.mjs]\nprocessors:\n  - { name: one, kind: beta }\n');
    const kinds = defaultKinds();
    const plugins = new PluginSet(kinds, from);
    const settings = await loadSettingsWithPlugins(from, { kinds, env: { PROSA__PLUGINS: '[./b.mjs]' }, plugins });
    expect(settings.plugins).toEqual(['./b.mjs']);
    expect(plugins.plugins.map((p) => p.specifier)).toEqual(['./b.mjs']);
    expect(kinds.has('alpha')).toBe(false);
    plugins.close();
  });

  it('follows the list: a plugin dropped from it is removed, and put back when the new settings are refused', async () => {
    const from = folder({ 'a.mjs': plugin(['alpha']), 'b.mjs': plugin(['beta']) });
    const kinds = defaultKinds();
    const plugins = new PluginSet(kinds, from);
    const write = (list: string, kind: string) => writeFileSync(from, `name: p\nplugins: ${list}\nprocessors:\n  - { name: one, kind: ${kind} }\n`);
    write('[./a.mjs, ./b.mjs]', 'alpha');
    await loadSettingsWithPlugins(from, { kinds, env: {}, plugins });
    const alpha = kinds.get('alpha');
    write('[./b.mjs]', 'alpha');
    await expect(loadSettingsWithPlugins(from, { kinds, env: {}, plugins })).rejects.toThrow(/processors\[0\]\.kind/);
    expect(kinds.get('alpha')).toBe(alpha);
    expect(plugins.plugins.map((p) => p.specifier)).toEqual(['./a.mjs', './b.mjs']);
    write('[./b.mjs]', 'beta');
    await loadSettingsWithPlugins(from, { kinds, env: {}, plugins });
    expect(kinds.has('alpha')).toBe(false);
    plugins.close();
    expect(kinds.has('beta')).toBe(false);
  });
});
