/**
 * Code reload: a kind whose factory changes in the registry (a plugin re-imported) has
 * its processors replaced on the next apply, the others untouched; `PluginSet.watch`
 * with `liveReload` does it when a plugin's file, or a file it imports from its folder,
 * changes, with zero failed requests to the untouched processors.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineFactory, loadSettingsWithPlugins, PluginSet, validateSettings, type KindRegistry } from '../../src/config/index.js';
import { buildInstance, liveReload, type Instance, type LiveReload, type ReloadOutcome } from '../../src/instance/index.js';
import { SimpleStringTvf, type Tvf } from '../../src/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import { tempDir } from '../fixtures/settings.js';

const silent = pino({ level: 'silent' });
const ZOD = pathToFileURL(join(import.meta.dirname, '../../node_modules/zod/index.js')).href;

/** A factory of kind `word` answering its `word`. */
function wordFactory(word: string) {
  return defineFactory({
    kind: 'word',
    description: 'Answers a word.',
    version: '1',
    settings: z.strictObject({ service: z.string() }),
    create: (settings) => ({
      services: [settings.service],
      adaptor: {
        processRequest: () => {
          const reply = new SimpleStringTvf();
          reply.putString(1, word);
          return reply;
        },
      },
    }),
  });
}

const SETTINGS = {
  name: 'reload',
  shutdown: { graceMs: 200, terminateTimeoutMs: 100 },
  processors: [
    { name: 'w', kind: 'word', settings: { service: 'WORD' } },
    { name: 'keep', kind: 'stub', settings: { services: ['KEEP'] } },
  ],
};

let instance: Instance | undefined;
let reloader: LiveReload | undefined;
let plugins: PluginSet | undefined;
let dir: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  reloader?.close();
  await instance?.stop();
  plugins?.close();
  dir?.remove();
  instance = reloader = plugins = dir = undefined;
});

async function word(on: Instance, service = 'WORD'): Promise<string> {
  const reply: Tvf = await on.prosa.request(service, new SimpleStringTvf(), { timeoutMs: 1_000 });
  return reply.getString(1);
}

describe('kind reload', () => {
  it('replaces the processors of a kind whose factory changed, and only those', async () => {
    const kinds: KindRegistry = defaultKinds();
    let dispose = kinds.register(wordFactory('one'));
    const settings = validateSettings(SETTINGS, { kinds, env: {} });
    instance = buildInstance(settings, { kinds, logger: silent });
    await instance.start();
    const keep = instance.prosa.get('keep');
    expect(await word(instance)).toBe('one');
    expect(instance.diff(settings).replaced).toEqual([]);

    dispose();
    dispose = kinds.register(wordFactory('two'));
    expect(instance.diff(settings).replaced).toEqual(['w']);
    const report = await instance.apply(settings);
    expect(report).toMatchObject({ replaced: ['w'], unchanged: ['keep'], started: [], stopped: [], failed: [] });
    expect(await word(instance)).toBe('two');
    expect(instance.prosa.get('keep')).toBe(keep);
    expect((await instance.apply(settings)).replaced).toEqual([]);

    // The same factory registered again is no change; a third one is.
    dispose();
    const third = wordFactory('three');
    dispose = kinds.register(third);
    dispose();
    kinds.register(third);
    expect((await instance.apply(settings)).replaced).toEqual(['w']);
    expect(await word(instance)).toBe('three');
  });
});

describe('plugin reload under watch', () => {
  // Under vitest, imports go through its module runner, not Node's hooks: the files a
  // plugin imports from its folder are followed in test/cli/plugins.test.ts (a real run).
  it('re-imports a plugin when its file changes, replacing only its processors, with no failed request elsewhere', async () => {
    dir = tempDir();
    mkdirSync(join(dir.dir, 'kinds'));
    const pluginText = (word: string) =>
      `import { z } from ${JSON.stringify(ZOD)};\nconst WORD = ${JSON.stringify(word)};\n` +
        `export const kinds = [{ kind: 'word', description: 'Answers a word.', version: '1', settings: z.strictObject({ service: z.string() }),\n` +
        `  create: (settings) => ({ services: [settings.service], adaptor: { processRequest: (_s, request) => { const reply = request.clone(); reply.putString(1, WORD); return reply; } } }) }];\n`;
    const pluginFile = dir.write('kinds/plugin.mjs', pluginText('one'));
    const file = dir.write(
      'prosa.yaml',
      'name: reload\nplugins: [./kinds/plugin.mjs]\nshutdown: { graceMs: 200, terminateTimeoutMs: 100 }\nprocessors:\n' +
        '  - { name: w, kind: word, settings: { service: WORD } }\n  - { name: keep, kind: stub, settings: { services: [KEEP], latencyMs: 1 } }\n',
    );
    const kinds = defaultKinds();
    plugins = new PluginSet(kinds, file);
    const load = (path: string) => loadSettingsWithPlugins(path, { kinds, env: {}, plugins: plugins!, source: path });
    const on = buildInstance(await load(file), { kinds, logger: silent });
    instance = on;
    await on.start();
    expect(await word(on)).toBe('one');
    const keep = on.prosa.get('keep');

    const outcomes: ReloadOutcome[] = [];
    let reloaded!: () => void;
    const done = new Promise<void>((resolve) => (reloaded = resolve));
    reloader = liveReload(on, { file, kinds, env: {}, logger: silent, watch: false, sighup: false, load, onReload: (outcome) => (outcomes.push(outcome), reloaded()) });
    const changed: string[][] = [];
    expect(plugins.touch(join(dir.dir, 'kinds/other.mjs'))).toEqual([]);
    const stopWatching = plugins.watch((specifiers) => (changed.push(specifiers), void reloader!.reload('plugin')), { debounceMs: 20 });

    let ok = 0;
    const failures: unknown[] = [];
    let running = true;
    const loop = async () => {
      while (running) {
        try {
          await on.prosa.request('KEEP', new SimpleStringTvf(), { timeoutMs: 1_000 });
          ok++;
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const loops = [loop(), loop()];
    writeFileSync(pluginFile, pluginText('two'));
    await done;
    running = false;
    await Promise.all(loops);
    expect(changed[0]).toEqual(['./kinds/plugin.mjs']);
    expect(outcomes[0]).toMatchObject({ status: 'applied', trigger: 'plugin', report: { replaced: ['w'], unchanged: ['keep'] } });
    expect(await word(on)).toBe('two');
    expect(on.prosa.get('keep')).toBe(keep);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(0);

    // A plugin that no longer loads is refused: the running code and the registry stay.
    stopWatching();
    const factory = kinds.get('word');
    writeFileSync(pluginFile, 'export const kinds = [;\n');
    plugins.touch(pluginFile);
    const refused = await reloader.reload('plugin');
    expect(refused).toMatchObject({ status: 'refused', error: { issues: [expect.objectContaining({ path: 'plugins[0]', expected: 'a plugin that loads (PluginLoadFailed)' })] } });
    expect(kinds.get('word')).toBe(factory);
    expect(await word(on)).toBe('two');
    writeFileSync(pluginFile, pluginText('three'));
    plugins.touch(pluginFile);
    expect(await reloader.reload('plugin')).toMatchObject({ status: 'applied', report: { replaced: ['w'] } });
    expect(await word(on)).toBe('three');
  });
});
