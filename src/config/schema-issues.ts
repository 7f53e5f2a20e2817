/**
 * Schema issues: turns zod's issues into {@link SettingsIssue}s that say, in words, what
 * a field should hold and what it holds.
 */
import type { z } from 'zod';
import { describeFound, formatPath, settingsIssue, type SettingsIssue } from './settings-error.js';
import { objectKeys, schemaAt } from './schema-walk.js';
import { isSensitivePath, SECRET_FOUND } from './sensitive.js';

/** A zod issue (zod 4). */
export type ZodIssue = z.core.$ZodIssue;

/** Where a field is in its source: line and column in a file, or the variable that set it. */
export type Locate = (path: readonly PropertyKey[]) => { line?: number; column?: number; env?: string };

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  bigint: 'an integer',
  array: 'a list',
  tuple: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  map: 'a mapping',
  null: 'null',
  undefined: 'nothing',
  never: 'nothing (no value is allowed here)',
  date: 'a date',
};

function bound(
  side: 'min' | 'max',
  origin: string,
  limit: number | bigint,
  inclusive: boolean | undefined,
  exact: boolean | undefined,
): string {
  const n = String(limit);
  const one = n === '1';
  switch (origin) {
    case 'string':
      if (exact) return `exactly ${n} character${one ? '' : 's'}`;
      return `${side === 'min' ? 'at least' : 'at most'} ${n} character${one ? '' : 's'}`;
    case 'array':
    case 'set':
      if (exact) return `exactly ${n} item${one ? '' : 's'}`;
      return `a list of ${side === 'min' ? 'at least' : 'at most'} ${n} item${one ? '' : 's'}`;
    default: {
      const operator = side === 'min' ? (inclusive === false ? '>' : '>=') : inclusive === false ? '<' : '<=';
      return `a number ${operator} ${n}`;
    }
  }
}

function listValues(values: readonly unknown[]): string {
  return values.map((value) => (typeof value === 'string' ? JSON.stringify(value) : String(value))).join(', ');
}

function expectedOf(issue: ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_WORDS[issue.expected] ?? String(issue.expected);
    case 'too_small':
      return bound('min', issue.origin, issue.minimum, issue.inclusive, issue.exact);
    case 'too_big':
      return bound('max', issue.origin, issue.maximum, issue.inclusive, issue.exact);
    case 'invalid_value':
      return issue.values.length === 1 ? listValues(issue.values) : `one of ${listValues(issue.values)}`;
    case 'invalid_format':
      return issue.format === 'regex' && issue.pattern !== undefined
        ? `a string matching ${issue.pattern}`
        : `a string in ${issue.format} format`;
    case 'not_multiple_of':
      return `a multiple of ${issue.divisor}`;
    case 'invalid_union':
      return 'one of the accepted forms';
    case 'custom': {
      const expected: unknown = issue.params?.['expected'];
      return typeof expected === 'string' ? expected : issue.message;
    }
    default:
      return issue.message;
  }
}

function foundOf(issue: ZodIssue, subject: unknown): string {
  const params = issue.code === 'custom' ? issue.params : undefined;
  if (typeof params?.['found'] === 'string') return params['found'] as string;
  // A refinement's input is the value it was attached to, maybe a parent of the path.
  if (issue.code === 'custom' && subject !== undefined) return describeFound(subject);
  // With `reportInput`, zod sets `input`; a missing field has none.
  return describeFound('input' in issue ? issue.input : subject);
}

/** The value at `path` under `root`, or undefined. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/**
 * Converts zod issues (from `safeParse(value, { reportInput: true })`) to settings issues.
 * `prefix` is the path of the parsed value inside the file; `schema` is the schema that
 * was parsed, used to list the known fields for an unknown one.
 */
export function fromZodIssues(
  issues: readonly ZodIssue[],
  options: { prefix?: readonly PropertyKey[]; schema: z.ZodType; root: unknown; locate: Locate },
): SettingsIssue[] {
  const prefix = options.prefix ?? [];
  const out: SettingsIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const keys = objectKeys(schemaAt(options.schema, issue.path) ?? options.schema) ?? [];
      const known = keys.length === 0 ? 'no fields here' : `one of the known fields: ${keys.join(', ')}`;
      for (const key of issue.keys) {
        const path = [...prefix, ...issue.path, key];
        out.push(settingsIssue(formatPath(path), known, `an unknown field ${JSON.stringify(key)}`, options.locate(path)));
      }
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that got furthest: the one with the fewest issues.
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
      if (best.length > 0 && best.every((inner) => inner.path.length > 0)) {
        const nested = best.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }) as ZodIssue);
        out.push(...fromZodIssues(nested, options));
        continue;
      }
    }
    const path = [...prefix, ...issue.path];
    const found = isSensitivePath(options.schema, issue.path) ? SECRET_FOUND : foundOf(issue, valueAt(options.root, path));
    out.push(settingsIssue(formatPath(path), expectedOf(issue), found, options.locate(path)));
  }
  return out;
}
