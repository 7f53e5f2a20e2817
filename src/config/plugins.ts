/**
 * Plugins: modules that provide processor kinds. A settings file names them at its top
 * level (`plugins: ["@acme/prosa-iso8583", "./kinds/upper.js"]`); each exports its
 * factories as `export const kinds = [defineFactory(...), ...]` (a default export of the
 * same list is accepted too). {@link loadPlugins} imports them into a `KindRegistry`;
 * {@link PluginSet} keeps them loaded for a running instance, follows the settings'
 * `plugins` list and re-imports a plugin whose files changed (`prosa run --watch`).
 *
 * Package names resolve from the settings file's folder (as an `import` written there
 * would), relative paths from the file. TypeScript files (`.ts`, `.mts`, `.cts`) need a
 * TypeScript loader: the one Node was started with (`--import tsx`, or Node's own type
 * stripping), else `tsx` when it can be imported from the settings' folder or from
 * prosa; otherwise the error says what to install.
 */
import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve as resolveImport } from 'import-meta-resolve';
import type { z } from 'zod';
import type { ProcessorFactory } from './factory.js';
import { installReloadHook, onReloadedFile, RELOAD_PARAM, ROOT_PARAM } from './plugin-hooks.js';
import { KindError, type KindRegistry } from './registry.js';
import { ProsaError } from '../tvf/prosa-error.js';
import { codeOf, messageOf } from '../tvf/unknown-value.js';

/** Kinds of {@link PluginError}. */
export type PluginErrorKind =
  /** No file or package of that name, from where the settings file is. */
  | 'PluginNotFound'
  /** Importing the module threw (a syntax error, a throw at its top level, a missing import). */
  | 'PluginLoadFailed'
  /** The module is TypeScript and no TypeScript loader is available. */
  | 'NoTypeScriptLoader'
  /** The module has no `kinds` (nor default) export holding a non-empty list. */
  | 'PluginExportsNothing'
  /** An item of its `kinds` list is not a factory (`defineFactory`: kind, settings schema, create). */
  | 'InvalidPluginKind'
  /** A kind it provides is a built-in kind, or provided by another plugin (or twice by itself). */
  | 'KindClash';

/** A plugin cannot be used: never recoverable, the plugin or the settings must change. */
export class PluginError extends ProsaError<PluginErrorKind> {
  override readonly name = 'PluginError';
  /** The plugin as the settings wrote it (`./kinds/upper.js`, `@acme/prosa-iso8583`). */
  readonly plugin: string;

  constructor(kind: PluginErrorKind, plugin: string, message: string, cause?: unknown) {
    super(kind, message, { recoverable: false, cause });
    this.plugin = plugin;
  }
}

/** Options of {@link loadPlugins}. */
export interface LoadPluginsOptions {
  /**
   * The settings file (a path or a `file:` URL) the plugin names are written in: relative
   * paths resolve from it, package names from its folder.
   * @defaultValue a file in the current working directory
   */
  from?: string;
}

/** One plugin loaded into a registry. */
export interface LoadedPlugin {
  /** The plugin as written (`./kinds/upper.js`). */
  readonly specifier: string;
  /** The module's `file:` URL (without any reload query): what `KindRegistry.moduleOf` gives for its kinds. */
  readonly url: string;
  /** The folder its reloads cover: the entry's folder, or the package's root. */
  readonly root: string;
  /** The kinds it registered, in its list's order. */
  readonly kinds: readonly string[];
  /** The factories it registered, in its list's order. */
  readonly factories: readonly ProcessorFactory[];
  /** Removes its kinds from the registry (only while they are still its factories). Idempotent. */
  dispose(): void;
}

/** Plugins loaded by one {@link loadPlugins} call. */
export interface LoadedPlugins {
  /** In the order they were named. */
  readonly plugins: readonly LoadedPlugin[];
  /** Removes every one of their kinds from the registry. Idempotent. */
  dispose(): void;
}

const TYPESCRIPT = /\.(c|m)?ts$/;
const BUILTINS = new URL('../processors/builtins.', import.meta.url).href;

/** The settings file as a `file:` URL. */
function fromUrl(from: string | undefined): string {
  if (from === undefined) return pathToFileURL(resolvePath('settings.yaml')).href;
  return from.startsWith('file:') ? from : pathToFileURL(resolvePath(from)).href;
}

function isPath(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..' || isAbsolute(specifier);
}

/** The folder of the package holding `file`: the nearest one up with a package.json. */
function packageRoot(file: string): string {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(resolvePath(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return dirname(file);
  }
}

/** Where `specifier` is, from the settings file `from`: its URL and the folder its reloads cover. Throws `PluginNotFound`. */
export function resolvePlugin(specifier: string, from: string): { url: string; root: string } {
  const settingsUrl = fromUrl(from);
  if (specifier.startsWith('file:') || isPath(specifier)) {
    const path = specifier.startsWith('file:') ? fileURLToPath(specifier) : resolvePath(dirname(fileURLToPath(settingsUrl)), specifier);
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats === undefined || !stats.isFile()) {
      const what = stats?.isDirectory() === true ? 'is a folder, not a module file' : 'does not exist';
      throw new PluginError('PluginNotFound', specifier, `plugin '${specifier}' not found: ${path} ${what} (relative paths are read from the settings file's folder)`);
    }
    return { url: pathToFileURL(path).href, root: dirname(path) };
  }
  let url: string;
  try {
    url = resolveImport(specifier, settingsUrl);
  } catch (error) {
    const folder = dirname(fileURLToPath(settingsUrl));
    throw new PluginError(
      'PluginNotFound',
      specifier,
      `plugin '${specifier}' not found from ${folder}: ${messageOf(error)} (install the package there, or write a path as ./file.js)`,
      error,
    );
  }
  if (!url.startsWith('file:')) {
    throw new PluginError('PluginNotFound', specifier, `plugin '${specifier}' is not a module file (resolves to ${url})`);
  }
  return { url, root: packageRoot(fileURLToPath(url)) };
}

let tsxRegistered: Promise<boolean> | undefined;

/** Registers tsx's loader, imported from the settings' folder or from prosa; false when it is nowhere. */
function registerTsx(settingsUrl: string): Promise<boolean> {
  tsxRegistered ??= (async () => {
    for (const parent of [settingsUrl, import.meta.url]) {
      let api: string;
      try {
        api = resolveImport('tsx/esm/api', parent);
      } catch {
        continue;
      }
      const { register } = (await import(api)) as { register(): unknown };
      register();
      return true;
    }
    return false;
  })();
  return tsxRegistered;
}

/** The query of reload `reload` covering `root`. */
function reloadUrl(url: string, root: string, reload: number): string {
  const target = new URL(url);
  target.searchParams.set(RELOAD_PARAM, String(reload));
  target.searchParams.set(ROOT_PARAM, root);
  return target.href;
}

/**
 * Imports the module at `url` under a new reload number (told to `claim` first); throws
 * `PluginLoadFailed` or `NoTypeScriptLoader`.
 */
async function importPlugin(specifier: string, url: string, root: string, settingsUrl: string, claim: (reload: number) => void): Promise<Record<string, unknown>> {
  const reload = nextReload++;
  claim(reload);
  const target = reloadUrl(url, root, reload);
  try {
    return (await import(target)) as Record<string, unknown>;
  } catch (error) {
    const typescript = TYPESCRIPT.test(new URL(url).pathname);
    if (typescript && codeOf(error) === 'ERR_UNKNOWN_FILE_EXTENSION') {
      if (await registerTsx(settingsUrl)) return importPlugin(specifier, url, root, settingsUrl, claim);
      throw new PluginError(
        'NoTypeScriptLoader',
        specifier,
        `plugin '${specifier}' is TypeScript and no TypeScript loader is available: install tsx where the settings file is ` +
          '(npm install --save-dev tsx), or start prosa with one (node --import tsx), or compile the plugin to JavaScript and name the .js file',
        error,
      );
    }
    throw new PluginError('PluginLoadFailed', specifier, `plugin '${specifier}' failed to load: ${messageOf(error)}`, error);
  }
}

/**
 * The factories a plugin module exports; throws `PluginExportsNothing` or
 * `InvalidPluginKind` (also when reading the list or a factory throws: a Proxy, a getter).
 */
export function pluginFactories(specifier: string, exports: Record<string, unknown>): ProcessorFactory[] {
  try {
    return readFactories(specifier, exports);
  } catch (error) {
    if (error instanceof PluginError) throw error;
    throw new PluginError('InvalidPluginKind', specifier, `plugin '${specifier}': reading its kinds threw: ${messageOf(error)}`, error);
  }
}

function readFactories(specifier: string, exports: Record<string, unknown>): ProcessorFactory[] {
  const list = Array.isArray(exports['kinds']) ? exports['kinds'] : Array.isArray(exports['default']) ? exports['default'] : undefined;
  if (list === undefined || list.length === 0) {
    const names = Object.keys(exports);
    const found = list !== undefined ? 'an empty list' : names.length === 0 ? 'no export at all' : `exports ${names.map((n) => `'${n}'`).join(', ')}`;
    throw new PluginError(
      'PluginExportsNothing',
      specifier,
      `plugin '${specifier}' provides no kind: expected \`export const kinds = [defineFactory(...)]\` (or a default export of that list), found ${found}`,
    );
  }
  return list.map((item: unknown, index) => {
    const factory = (typeof item === 'object' || typeof item === 'function') && item !== null ? (item as Partial<ProcessorFactory>) : undefined;
    // Each field is read once: a getter cannot show the checks one value and the registry another.
    const named: unknown = factory?.kind;
    const kind = typeof named === 'string' && named.length > 0 ? named : undefined;
    const create: unknown = factory?.create;
    const settings: unknown = factory?.settings;
    const schema = typeof settings === 'object' && settings !== null && typeof (settings as z.ZodType).safeParse === 'function';
    if (factory === undefined || kind === undefined || typeof create !== 'function' || !schema) {
      const what = kind === undefined ? `has no kind name (found ${messageOf(named)})` : `'${kind}' needs a zod settings schema and a create function`;
      throw new PluginError('InvalidPluginKind', specifier, `plugin '${specifier}': kinds[${index}] is not a factory (defineFactory): it ${what}`);
    }
    return stableFactory(factory, { kind, create, settings, description: factory.description, version: factory.version, listens: factory.listens });
  });
}

/**
 * `factory` with the fields it was checked with as its own read-only values (what the
 * registry, `prosa kinds` and the builder read), everything else (what `create` reaches
 * through `this`) from `factory` itself.
 */
function stableFactory(factory: object, fields: Record<string, unknown>): ProcessorFactory {
  const stable = Object.create(factory) as ProcessorFactory;
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) Object.defineProperty(stable, name, { value, enumerable: true });
  }
  return Object.freeze(stable);
}

/** Who holds `kind` in `kinds`, in words, for a clash message. */
function holderOf(kinds: KindRegistry, kind: string, plugins: readonly LoadedPlugin[]): string {
  const owner = plugins.find((plugin) => plugin.kinds.includes(kind));
  if (owner !== undefined) return `plugin '${owner.specifier}'`;
  const module = kinds.moduleOf(kind);
  if (module?.startsWith(BUILTINS) === true) return 'a built-in kind';
  return module === undefined ? 'a kind registered by the embedding code' : `the module ${module}`;
}

/**
 * Registers `factories` of one plugin into `kinds`, all or none: throws `KindClash` when a
 * kind is taken (`others`: the plugins already loaded, to name the holder).
 */
function registerPlugin(
  kinds: KindRegistry,
  plugin: Omit<LoadedPlugin, 'kinds' | 'dispose'>,
  others: readonly LoadedPlugin[],
): LoadedPlugin {
  const disposers: (() => void)[] = [];
  const undo = () => {
    for (const dispose of disposers.splice(0)) dispose();
  };
  const names: string[] = [];
  for (const factory of plugin.factories) {
    try {
      disposers.push(kinds.register(factory, { module: plugin.url }));
      names.push(factory.kind);
    } catch (error) {
      undo();
      if (!(error instanceof KindError) || error.kind !== 'DuplicateKind') {
        // The registry refused the factory after all (a getter that changed its mind, one that threw).
        const detail = error instanceof KindError ? error.message : `reading it threw: ${messageOf(error)}`;
        throw new PluginError('InvalidPluginKind', plugin.specifier, `plugin '${plugin.specifier}': a kind is not a factory: ${detail}`, error);
      }
      const kind = error.processorKind;
      const holder = names.includes(kind) ? 'this plugin already (twice in its list)' : holderOf(kinds, kind, others);
      throw new PluginError(
        'KindClash',
        plugin.specifier,
        `plugin '${plugin.specifier}' provides kind '${kind}', which is taken by ${holder}: rename one of the two kinds`,
      );
    }
  }
  return { ...plugin, kinds: names, dispose: undo };
}

/** Number of the next plugin import: each import gets its own, so a reload is evaluated anew. */
let nextReload = 0;

/**
 * Imports one plugin and registers its kinds; `others` are the plugins already loaded.
 * `claim` is told each reload number its import uses, before it starts.
 */
async function loadOne(
  specifier: string,
  kinds: KindRegistry,
  settingsUrl: string,
  others: readonly LoadedPlugin[],
  claim: (reload: number) => void = () => {},
): Promise<LoadedPlugin> {
  if (typeof specifier !== 'string' || specifier.length === 0) {
    throw new PluginError('PluginNotFound', String(specifier), `a plugin is a module name or path, got ${JSON.stringify(specifier) ?? String(specifier)}`);
  }
  const { url, root } = resolvePlugin(specifier, settingsUrl);
  installReloadHook();
  const exports = await importPlugin(specifier, url, root, settingsUrl, claim);
  const factories = pluginFactories(specifier, exports);
  return registerPlugin(kinds, { specifier, url, root, factories }, others);
}

/**
 * Imports each plugin of `specifiers` and registers its kinds into `kinds`, each with the
 * module's URL (`KindRegistry.moduleOf`). All or nothing: on the first plugin that does
 * not load, the kinds registered so far are removed and a {@link PluginError} naming the
 * plugin rejects. Each call imports the modules anew (a fresh module instance per call,
 * the files it imports from its own folder included), so calling it again after a file
 * changed loads the new code; each such import stays in Node's module cache.
 */
export async function loadPlugins(specifiers: readonly string[], kinds: KindRegistry, options: LoadPluginsOptions = {}): Promise<LoadedPlugins> {
  const settingsUrl = fromUrl(options.from);
  const plugins: LoadedPlugin[] = [];
  const disposeAll = () => {
    for (const plugin of plugins) plugin.dispose();
  };
  try {
    for (const specifier of specifiers) plugins.push(await loadOne(specifier, kinds, settingsUrl, plugins));
  } catch (error) {
    disposeAll();
    throw error;
  }
  return { plugins, dispose: disposeAll };
}

/** What {@link PluginSet.sync} changed, to keep or undo. */
export interface PluginChange {
  /** The plugins whose kinds changed (loaded, reloaded or removed), by specifier. */
  readonly changed: readonly string[];
  /** Undoes the change: the plugins (and so the factories) held before are back. Idempotent; does nothing after `commit`. */
  rollback(): void;
  /** Keeps the change. */
  commit(): void;
}

/**
 * The plugins of a running instance, kept loaded in its registry: follows its settings'
 * `plugins` list and re-imports the plugins whose files changed.
 */
export class PluginSet {
  private readonly kinds: KindRegistry;
  private readonly settingsUrl: string;
  private loaded: LoadedPlugin[] = [];
  /** Files each plugin's imports loaded (its entry, and what it imports from its root), by specifier. */
  private readonly files = new Map<string, Set<string>>();
  /** Reload number -> specifier, for the files the module hook reports. */
  private readonly reloads = new Map<string, string>();
  private readonly stopListening: () => void;
  private stale = new Set<string>();

  /** A set loading into `kinds`, for the settings file `from` (as `LoadPluginsOptions.from`). */
  constructor(kinds: KindRegistry, from: string) {
    this.kinds = kinds;
    this.settingsUrl = fromUrl(from);
    this.stopListening = onReloadedFile(({ reload, path }) => {
      const specifier = this.reloads.get(reload);
      if (specifier === undefined) return;
      this.files.get(specifier)?.add(path);
      this.refreshWatchers();
    });
  }

  /** The plugins loaded now, in the settings' order. */
  get plugins(): readonly LoadedPlugin[] {
    return this.loaded;
  }

  /**
   * Marks the plugins that loaded the file at `path` (an absolute path) as changed: the
   * next {@link PluginSet.sync} re-imports them. Returns their specifiers (empty when no
   * plugin loaded that file).
   */
  touch(path: string): string[] {
    const touched: string[] = [];
    for (const plugin of this.loaded) {
      if (this.files.get(plugin.specifier)?.has(path) === true) {
        this.stale.add(plugin.specifier);
        touched.push(plugin.specifier);
      }
    }
    return touched;
  }

  /**
   * Watches every file the loaded plugins loaded (their entries and what they import from
   * their own folder or package; the folders holding them, so editors that save by
   * replacing a file are seen too). A change marks its plugins ({@link PluginSet.touch})
   * and, `debounceMs` after the last one, calls `onChange` with their specifiers: call
   * {@link PluginSet.sync} then (a settings reload does). Follows the set as it changes.
   * Returns the function that stops watching. One watch per set: a second call replaces the first.
   */
  watch(onChange: (plugins: string[]) => void, options: { debounceMs?: number; onError?(error: unknown): void } = {}): () => void {
    this.unwatch();
    const debounceMs = options.debounceMs ?? 100;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const pending = new Set<string>();
    this.watching = {
      watchers: new Map(),
      changed: (path) => {
        for (const specifier of this.touch(path)) pending.add(specifier);
        if (pending.size === 0) return;
        clearTimeout(timer);
        timer = setTimeout(() => {
          const plugins = [...pending];
          pending.clear();
          onChange(plugins);
        }, debounceMs);
      },
      onError: options.onError,
      stop: () => clearTimeout(timer),
    };
    const mine = this.watching;
    this.refreshWatchers();
    return () => {
      if (this.watching === mine) this.unwatch();
    };
  }

  private watching:
    | { watchers: Map<string, FSWatcher>; changed(path: string): void; onError: ((error: unknown) => void) | undefined; stop(): void }
    | undefined;

  /** Watches the folders of the files known now (and no others). */
  private refreshWatchers(): void {
    const watching = this.watching;
    if (watching === undefined) return;
    const folders = new Set<string>();
    for (const plugin of this.loaded) for (const path of this.files.get(plugin.specifier) ?? []) folders.add(dirname(path));
    for (const [folder, watcher] of watching.watchers) {
      if (folders.has(folder)) continue;
      watcher.close();
      watching.watchers.delete(folder);
    }
    for (const folder of folders) {
      if (watching.watchers.has(folder)) continue;
      try {
        const watcher = watch(folder, { persistent: false }, (_event, name) => {
          if (name !== null) watching.changed(resolvePath(folder, basename(name)));
        });
        watcher.on('error', (error) => watching.onError?.(error));
        watching.watchers.set(folder, watcher);
      } catch (error) {
        watching.onError?.(error);
      }
    }
  }

  private unwatch(): void {
    if (this.watching === undefined) return;
    this.watching.stop();
    for (const watcher of this.watching.watchers.values()) watcher.close();
    this.watching = undefined;
  }

  /**
   * Makes the set hold `specifiers`: loads those it does not hold, removes those it holds
   * no more, and re-imports those {@link PluginSet.touch} marked; the others stay as they
   * are (same factories, so their processors are untouched). Rejects with a
   * {@link PluginError} (nothing changed) when one does not load; else `rollback()`
   * gives the old set back (the settings using it were refused), `commit()` keeps it.
   */
  async sync(specifiers: readonly string[]): Promise<PluginChange> {
    const wanted = new Set(specifiers);
    const keep = this.loaded.filter((plugin) => wanted.has(plugin.specifier) && !this.stale.has(plugin.specifier));
    const drop = this.loaded.filter((plugin) => !keep.includes(plugin));
    for (const plugin of drop) plugin.dispose();
    const next: LoadedPlugin[] = [];
    const added: LoadedPlugin[] = [];
    const previousFiles = new Map(this.files);
    try {
      for (const specifier of specifiers) {
        const held = keep.find((plugin) => plugin.specifier === specifier);
        if (held !== undefined) {
          next.push(held);
          continue;
        }
        // The hook reports the files of this import while it runs: the set is there first.
        const files = new Set<string>();
        this.files.set(specifier, files);
        for (const [reload, of] of this.reloads) if (of === specifier) this.reloads.delete(reload);
        const claim = (reload: number) => void this.reloads.set(String(reload), specifier);
        const plugin = await loadOne(specifier, this.kinds, this.settingsUrl, [...keep, ...added], claim);
        files.add(fileURLToPath(plugin.url));
        added.push(plugin);
        next.push(plugin);
      }
    } catch (error) {
      for (const plugin of added) plugin.dispose();
      this.loaded = this.restore(this.loaded, drop, previousFiles);
      throw error;
    }
    const before = this.loaded;
    const staleBefore = this.stale;
    this.loaded = next;
    this.stale = new Set();
    this.refreshWatchers();
    let settled = false;
    return {
      changed: [...new Set([...drop, ...added].map((plugin) => plugin.specifier))],
      rollback: () => {
        if (settled) return;
        settled = true;
        for (const plugin of added) plugin.dispose();
        this.loaded = this.restore(before, drop, previousFiles);
        this.stale = staleBefore;
        this.refreshWatchers();
      },
      commit: () => {
        settled = true;
      },
    };
  }

  /**
   * `list` with the `dropped` plugins registered again (after a failed or undone change:
   * the same factories, so the same revisions) and the files known before.
   */
  private restore(list: readonly LoadedPlugin[], dropped: readonly LoadedPlugin[], files: Map<string, Set<string>>): LoadedPlugin[] {
    const back = new Map(dropped.map((plugin) => [plugin, registerPlugin(this.kinds, plugin, [])]));
    this.files.clear();
    for (const [specifier, set] of files) this.files.set(specifier, set);
    return list.map((plugin) => back.get(plugin) ?? plugin);
  }

  /** Removes every plugin's kinds, stops watching and following reloaded files. Idempotent. */
  close(): void {
    this.unwatch();
    for (const plugin of this.loaded) plugin.dispose();
    this.loaded = [];
    this.stopListening();
  }
}
