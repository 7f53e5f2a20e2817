/**
 * `prosa validate <file>`: checks a settings file (environment overrides included)
 * without running it.
 */
import { checkSettingsText, readSettingsFile } from '../config/load.js';
import { SettingsError, type SettingsErrorKind, type SettingsIssue } from '../config/settings-error.js';
import { defaultKinds } from '../processors/builtins.js';
import { ExitCode } from './exit-codes.js';
import type { CommandIo } from './io.js';

/** Options of {@link validateCommand}. */
export interface ValidateCommandOptions {
  /** Print `{ file, valid, issues }` as one JSON object on stdout instead of text. */
  json?: boolean;
}

/**
 * Checks `file`: prints a one-line confirmation and resolves 0 when valid; prints every
 * issue (stderr, or the JSON object on stdout) and resolves 3 when not.
 */
export async function validateCommand(file: string, options: ValidateCommandOptions, io: CommandIo): Promise<number> {
  let issues: readonly SettingsIssue[];
  let processors: string[] = [];
  let kind: SettingsErrorKind = 'InvalidSettings';
  try {
    const text = await readSettingsFile(file);
    const check = checkSettingsText(text, { kinds: defaultKinds(), env: io.env, source: file });
    if (check.ok) processors = check.settings.processors.map((p) => `${p.name} (${p.kind})`);
    issues = check.ok ? [] : check.issues;
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    issues = error.issues;
    kind = error.kind;
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
