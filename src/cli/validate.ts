/**
 * `prosa validate <file>`: checks a settings file (environment overrides included)
 * without running it: the same checks as `prosa run` (its plugins loaded, then
 * `checkSettingsTextWithPlugins`), then the same
 * build (`buildInstance`, through `checkBuild`: factories, processor specs, transports),
 * stopped before anything starts. Whatever `run` refuses with exit 3, `validate` refuses.
 */
import { checkBuild } from '../instance/instance.js';
import { checkSettingsTextWithPlugins, readSettingsFile } from '../config/load.js';
import { PluginSet } from '../config/plugins.js';
import type { KindRegistry } from '../config/registry.js';
import { SettingsError, type SettingsErrorKind, type SettingsIssue } from '../config/settings-error.js';
import { defaultKinds } from '../processors/builtins.js';
import { ExitCode } from './exit-codes.js';
import type { CommandIo } from './io.js';
import { TRANSPORT_MAKERS } from './transports.js';

/** Options of {@link validateCommand}. */
export interface ValidateCommandOptions {
  /** Print `{ file, valid, issues }` as one JSON object on stdout instead of text. */
  json?: boolean;
  /**
   * The processor kinds the settings may use (as `RunOptions.kinds`).
   * @defaultValue `defaultKinds()`, the built-in kinds
   */
  kinds?: KindRegistry;
}

/**
 * Checks `file`: prints a one-line confirmation and resolves 0 when valid; prints every
 * issue (stderr, or the JSON object on stdout) and resolves 3 when not.
 */
export async function validateCommand(file: string, options: ValidateCommandOptions, io: CommandIo): Promise<number> {
  let issues: readonly SettingsIssue[];
  let processors: string[] = [];
  let kind: SettingsErrorKind = 'InvalidSettings';
  const kinds = options.kinds ?? defaultKinds();
  const plugins = new PluginSet(kinds, file);
  try {
    const text = await readSettingsFile(file);
    const { check } = await checkSettingsTextWithPlugins(text, { kinds, env: io.env, source: file, plugins });
    if (check.ok) {
      issues = await checkBuild(check.settings, { kinds, transports: TRANSPORT_MAKERS });
      processors = check.settings.processors.map((p) => `${p.name} (${p.kind})`);
    } else {
      issues = check.issues;
    }
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    issues = error.issues;
    kind = error.kind;
  } finally {
    plugins.close();
  }
  const valid = issues.length === 0;
  if (options.json === true) {
    io.stdout.write(`${JSON.stringify({ file, valid, issues })}\n`);
  } else if (valid) {
    const count = processors.length === 1 ? '1 processor' : `${processors.length} processors`;
    io.stdout.write(`${file}: valid (${count}${processors.length > 0 ? `: ${processors.join(', ')}` : ''})\n`);
  } else {
    io.stderr.write(`${new SettingsError(kind, file, issues).message}\n`);
  }
  return valid ? ExitCode.Ok : ExitCode.InvalidSettings;
}
