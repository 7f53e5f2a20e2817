/**
 * Settings errors: every problem found in a settings file, reported at once, each naming
 * the file, the field's path, what was expected and what was found.
 */
import { ProsaError } from '../tvf/prosa-error.js';

/** One problem in a settings file. */
export interface SettingsIssue {
  /** Path of the field at fault, as `processors[1].settings.maxSpeed`; `''` for the whole file. */
  readonly path: string;
  /** What the field should hold, in words (`a number > 0`, `one of the known kinds: inj, stub`). */
  readonly expected: string;
  /** What it holds (`"fast"`, `-5`, `nothing (the field is required)`). */
  readonly found: string;
  /** The whole issue in one line: path, expected and found. */
  readonly message: string;
  /** 1-based line in the file, when the field (or its nearest parent) is in the file. */
  readonly line?: number;
  /** 1-based column in the file, with {@link SettingsIssue.line}. */
  readonly column?: number;
  /** The environment variable that set this value, when one did. */
  readonly env?: string;
}

/** Kinds of {@link SettingsError}. */
export type SettingsErrorKind =
  /** The file was read but its content is not valid settings (syntax, types, kinds, names). */
  | 'InvalidSettings'
  /** The file could not be read at all. */
  | 'UnreadableSettings';

/** Formats a field path: `['processors', 1, 'settings', 'maxSpeed']` -> `processors[1].settings.maxSpeed`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** Where an issue is: `demo.yaml:12:17`, `demo.yaml (PROSA__X)`, or `demo.yaml`. */
function place(source: string, issue: SettingsIssue): string {
  if (issue.env !== undefined) return `${source} (environment ${issue.env})`;
  if (issue.line !== undefined) return `${source}:${issue.line}:${issue.column ?? 1}`;
  return source;
}

/**
 * The settings of an instance are invalid: never recoverable, the file must change.
 * `issues` lists every problem found; the message lists them all, one a line.
 */
export class SettingsError extends ProsaError<SettingsErrorKind> {
  override readonly name = 'SettingsError';
  /** The file (or other source, e.g. `embedded default`) the settings came from. */
  readonly source: string;
  /** Every problem found, in file order where known. */
  readonly issues: readonly SettingsIssue[];

  constructor(kind: SettingsErrorKind, source: string, issues: readonly SettingsIssue[], cause?: unknown) {
    const count = issues.length === 1 ? '1 issue' : `${issues.length} issues`;
    const lines = issues.map((issue) => `  - ${place(source, issue)}: ${issue.message}`);
    const head =
      kind === 'UnreadableSettings' ? `Cannot read settings ${source}` : `Invalid settings in ${source} (${count})`;
    // Never recoverable: the settings must change before they can load.
    super(kind, [`${head}:`, ...lines].join('\n'), { recoverable: false, cause });
    this.source = source;
    this.issues = issues;
  }
}

/** Builds an issue with its one-line message: `<subject>: expected <expected>, found <found>`; the subject defaults to the path. */
export function settingsIssue(
  path: string,
  expected: string,
  found: string,
  where: { line?: number; column?: number; env?: string } = {},
  subject = path === '' ? '(top level)' : path,
): SettingsIssue {
  const message = `${subject}: expected ${expected}, found ${found}`;
  const issue: { -readonly [K in keyof SettingsIssue]: SettingsIssue[K] } = { path, expected, found, message };
  if (where.env !== undefined) issue.env = where.env;
  else if (where.line !== undefined) {
    issue.line = where.line;
    issue.column = where.column ?? 1;
  }
  return issue;
}

/** Describes a found value in a few words, for {@link SettingsIssue.found}. */
export function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing (the field is required)';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const text = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(text);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return value.length === 1 ? 'a list of 1 item' : `a list of ${value.length} items`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid date' : `a date (${value.toISOString()})`;
  if (value instanceof Uint8Array) return `binary data (${value.length} bytes)`;
  if (value instanceof Set) return 'a set (!!set)';
  if (value instanceof Map) return 'a mapping with keys that are not names';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}


