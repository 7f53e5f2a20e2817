/**
 * Live reload: re-reads a settings file and applies it to a running instance as a diff
 * (`Instance.apply`), when the file changes (`fs.watch`, debounced, tolerant of editors
 * that replace the file) and on SIGHUP. A file that does not load is refused with its
 * full issue list and the instance keeps running unchanged. `prosa run <file> --watch`
 * uses it, with a `load` that loads the file's plugins too (src/plugins).
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Environment } from '../config/env-overrides.js';
import { loadSettings } from '../config/load.js';
import type { KindRegistry } from '../config/registry.js';
import { SettingsError } from '../config/settings-error.js';
import { stableKey } from '../directives/stable-key.js';
import { safeError } from '../tvf/unknown-value.js';
import type { Instance } from './instance.js';
import type { InstanceSettings } from '../config/settings-schema.js';
import type { ApplyReport } from './live-settings.js';

/** Options of {@link liveReload}. */
export interface LiveReloadOptions {
  /** The settings file the instance was built from. */
  file: string;
  /** The processor kinds the file may use. */
  kinds: KindRegistry;
  /**
   * Environment of `PROSA__` overrides, applied on every reload as on the first load.
   * @defaultValue `process.env`
   */
  env?: Environment;
  /**
   * Where reloads are logged (refusals at `error`, with every issue).
   * @defaultValue the instance's bus logger
   */
  logger?: Logger;
  /**
   * Reload when the file changes.
   * @defaultValue true
   */
  watch?: boolean;
  /**
   * Reload on SIGHUP.
   * @defaultValue true
   */
  sighup?: boolean;
  /**
   * Quiet time after the last change event before the file is read (editors write in
   * several steps).
   * @defaultValue 100
   */
  debounceMs?: number;
  /** Told of every reload's outcome (tests, status lines). */
  onReload?(outcome: ReloadOutcome): void;
  /**
   * Reads and validates the file (given as `file` was), once per reload, before anything
   * is applied; rejects with a `SettingsError` to refuse it. A loader that also loads the
   * file's plugins (or re-imports changed ones) goes here: kinds whose factory changed in
   * `kinds` count as changed, so their processors are replaced.
   * @defaultValue `loadSettings(file, { kinds, env, source: file })`
   */
  load?(file: string, trigger: ReloadTrigger): Promise<InstanceSettings>;
}

/** How one reload ended. */
export type ReloadOutcome =
  /** Applied: what changed. */
  | { status: 'applied'; trigger: ReloadTrigger; report: ApplyReport }
  /** The file loads to the settings already applied, and no kind they use changed: nothing done. */
  | { status: 'unchanged'; trigger: ReloadTrigger }
  /** The file did not load: the instance runs on, unchanged. */
  | { status: 'refused'; trigger: ReloadTrigger; error: SettingsError }
  /** Applying failed unexpectedly (a bug, a stopped bus): logged; the instance runs on. */
  | { status: 'failed'; trigger: ReloadTrigger; error: unknown };

/** What asked for a reload: the file changed, SIGHUP, a call, or a plugin module changed. */
export type ReloadTrigger = 'watch' | 'sighup' | 'call' | 'plugin';

/** A running live reload. */
export interface LiveReload {
  /**
   * Reloads now. Reloads run one at a time; asking while one runs queues one more (later
   * asks join it). Resolves with the outcome; never rejects.
   */
  reload(trigger?: ReloadTrigger): Promise<ReloadOutcome>;
  /** Stops watching and listening for SIGHUP. Idempotent. */
  close(): void;
}

/**
 * Starts reloading `instance` from `options.file` on change and on SIGHUP. Throws if the
 * file's folder cannot be watched.
 */
export function liveReload(instance: Instance, options: LiveReloadOptions): LiveReload {
  const logger = options.logger ?? instance.prosa.logger;
  const file = resolve(options.file);
  const name = basename(file);
  const debounceMs = options.debounceMs ?? 100;
  const load = options.load ?? ((path: string) => loadSettings(path, { kinds: options.kinds, env: options.env, source: path }));
  let chain: Promise<unknown> = Promise.resolve();
  let waiting: Promise<ReloadOutcome> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let watcher: FSWatcher | undefined;
  let closed = false;

  const once = async (trigger: ReloadTrigger): Promise<ReloadOutcome> => {
    let outcome: ReloadOutcome;
    try {
      const settings = await load(options.file, trigger);
      if (stableKey(settings) === stableKey(instance.settings) && instance.diff(settings).replaced.length === 0) {
        outcome = { status: 'unchanged', trigger };
        logger.debug({ file: options.file, trigger }, 'settings reloaded: no change');
      } else {
        const report = await instance.apply(settings);
        outcome = { status: 'applied', trigger, report };
      }
    } catch (error) {
      if (error instanceof SettingsError) {
        outcome = { status: 'refused', trigger, error };
        instance.events.emit('settings.refused', { trigger, error });
        logger.error({ file: options.file, trigger, issues: error.issues }, `settings refused; the instance runs on unchanged\n${error.message}`);
      } else {
        outcome = { status: 'failed', trigger, error };
        logger.error({ err: safeError(error), file: options.file, trigger }, 'applying settings failed');
      }
    }
    try {
      options.onReload?.(outcome);
    } catch (error) {
      logger.warn({ err: safeError(error) }, 'onReload threw');
    }
    return outcome;
  };

  const reload = (trigger: ReloadTrigger = 'call'): Promise<ReloadOutcome> => {
    // A reload not started yet takes later asks along; one that has started gets a successor.
    if (waiting !== undefined) return waiting;
    const next = chain.then(() => {
      waiting = undefined;
      return once(trigger);
    });
    waiting = next;
    chain = next;
    return next;
  };

  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload('watch'), debounceMs);
  };

  if (options.watch ?? true) {
    // Watch the folder, not the file: editors that save by replacing the file would
    // leave a file watcher on the old inode.
    watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed === null || changed === name) schedule();
    });
    watcher.on('error', (error) => logger.warn({ err: safeError(error), file: options.file }, 'watching settings failed'));
  }
  const onSighup = () => void reload('sighup');
  const sighup = options.sighup ?? true;
  if (sighup) process.on('SIGHUP', onSighup);
  const triggers = [watcher === undefined ? undefined : 'on change', sighup ? 'on SIGHUP' : undefined].filter((t) => t !== undefined);
  if (triggers.length > 0) {
    logger.info({ file: options.file, watch: watcher !== undefined, sighup }, `settings re-applied ${triggers.join(' and ')}`);
  }

  return {
    reload,
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      watcher?.close();
      process.off('SIGHUP', onSighup);
    },
  };
}
