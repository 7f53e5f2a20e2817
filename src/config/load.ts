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

/** Options of {@link loadSettings} and {@link parseSettings}. */
export type LoadOptions = Omit<ValidateOptions, 'locate'>;

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
