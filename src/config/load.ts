/**
 * Loader: settings file -> text -> YAML document -> environment overrides -> validated
 * settings, or one {@link SettingsError} listing every issue with its line and column.
 */
import { readFile } from 'node:fs/promises';
import { SettingsError, settingsIssue } from './settings-error.js';
import type { InstanceSettings } from './settings-schema.js';
import { parseSettingsText } from './settings-text.js';
import { checkSettings, type SettingsCheck, type ValidateOptions } from './validate.js';
import { messageOf } from '../tvf/unknown-value.js';
import { PluginError, type PluginChange, type PluginSet } from './plugins.js';
import { applyEnvOverrides, type Environment } from './env-overrides.js';
import { schemaAt } from './schema-walk.js';
import { instanceSettingsSchema } from './settings-schema.js';
import { checkSettingsShape } from './settings-shape.js';

/** Options of {@link loadSettings} and {@link parseSettings}. */
export type LoadOptions = Omit<ValidateOptions, 'locate'>;

/** Options of {@link checkSettingsTextWithPlugins} and {@link loadSettingsWithPlugins}. */
export interface PluginLoadOptions extends LoadOptions {
  /** The plugins of the settings' `plugins` list are loaded into this set (whose registry is `kinds`). */
  plugins: PluginSet;
}

/**
 * The `plugins` list of a parsed settings value, environment overrides applied
 * (`PROSA__PLUGINS`), before validation: a list that is not one of names is left to the
 * schema to report (none load). Only what the file's shape checks allow is read.
 */
function writtenPlugins(value: unknown, env: Environment): string[] {
  if (checkSettingsShape(value, () => ({})).length > 0) return [];
  const root = applyEnvOverrides(value, env, (path) => schemaAt(instanceSettingsSchema, path)).value;
  const list = root !== null && typeof root === 'object' && !Array.isArray(root) ? (root as Record<string, unknown>)['plugins'] : undefined;
  return Array.isArray(list) && list.every((item) => typeof item === 'string' && item.length > 0) ? list : [];
}

/**
 * Checks a settings text as {@link checkSettingsText} does, after loading the plugins
 * its `plugins` list names into `options.plugins` (so its processors may use their
 * kinds). A plugin that does not load is an issue at its place in the list
 * (`plugins[0]: expected a plugin that loads, found ...`), and the set is left as it was.
 * When the settings are valid, `change` is the plugin change to `commit()` (or
 * `rollback()` if the caller refuses them after all); when not, it was rolled back.
 */
export async function checkSettingsTextWithPlugins(text: string, options: PluginLoadOptions): Promise<{ check: SettingsCheck; change?: PluginChange }> {
  const parsed = parseSettingsText(text);
  if (parsed.issues.length > 0) return { check: { ok: false, issues: parsed.issues } };
  const { plugins: set, ...rest } = options;
  const written = writtenPlugins(parsed.value, options.env ?? process.env);
  let change: PluginChange;
  try {
    change = await set.sync(written);
  } catch (error) {
    if (!(error instanceof PluginError)) throw error;
    const index = Math.max(0, written.indexOf(error.plugin));
    const where = parsed.locate(['plugins', index]) ?? {};
    return { check: { ok: false, issues: [settingsIssue(`plugins[${index}]`, `a plugin that loads (${error.kind})`, error.message, where)] } };
  }
  const check = checkSettings(parsed.value, { ...rest, locate: parsed.locate });
  if (!check.ok) {
    change.rollback();
    return { check };
  }
  return { check, change };
}

/**
 * Reads a settings file and loads it as {@link loadSettings} does, its plugins loaded
 * first into `options.plugins` (see {@link checkSettingsTextWithPlugins}); on success
 * the plugin change is kept. Rejects with a {@link SettingsError} (the set unchanged).
 */
export async function loadSettingsWithPlugins(file: string, options: PluginLoadOptions): Promise<InstanceSettings> {
  const source = options.source ?? file;
  const { check, change } = await checkSettingsTextWithPlugins(await readSettingsFile(file, source), { ...options, source });
  if (!check.ok) throw new SettingsError('InvalidSettings', source, check.issues);
  change?.commit();
  return check.settings;
}

/**
 * Checks a settings text (YAML or JSON) without throwing: syntax issues (with line and
 * column) if it does not parse, else every validation issue, else the settings.
 */
export function checkSettingsText(text: string, options: LoadOptions): SettingsCheck {
  const parsed = parseSettingsText(text);
  if (parsed.issues.length > 0) return { ok: false, issues: parsed.issues };
  return checkSettings(parsed.value, { ...options, locate: parsed.locate });
}

/**
 * Parses and validates a settings text (YAML or JSON). Throws a {@link SettingsError}
 * (`InvalidSettings`) naming `options.source` and listing every issue.
 */
export function parseSettings(text: string, options: LoadOptions): InstanceSettings {
  const check = checkSettingsText(text, options);
  if (!check.ok) throw new SettingsError('InvalidSettings', options.source ?? 'settings', check.issues);
  return check.settings;
}

/**
 * Reads, parses and validates a settings file. Rejects with a {@link SettingsError}:
 * `UnreadableSettings` when the file cannot be read, `InvalidSettings` (every issue at
 * once) when its content is wrong. `options.source` defaults to `file`.
 */
export async function loadSettings(file: string, options: LoadOptions): Promise<InstanceSettings> {
  const source = options.source ?? file;
  return parseSettings(await readSettingsFile(file, source), { ...options, source });
}

/**
 * The text of a settings file. Rejects with a {@link SettingsError} `UnreadableSettings`
 * (naming `source`, the file by default) when it cannot be read.
 */
export async function readSettingsFile(file: string, source = file): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const detail = messageOf(error);
    throw new SettingsError('UnreadableSettings', source, [settingsIssue('', 'a readable file', detail, {}, 'file')], error);
  }
}
