/**
 * Environment overrides: `PROSA__<FIELD>__<FIELD>...=<value>` sets one field of the
 * settings before they are validated.
 *
 * The rule:
 * - the variable name is `PROSA__` then the field's path, segments separated by `__`;
 * - a segment matches a field whatever its case and punctuation: both sides are compared
 *   in upper case with every character but letters and digits removed, so `MAX_SPEED`
 *   and `MAXSPEED` both name `maxSpeed`;
 * - in a list (`processors`), a segment names an item by its `name` field, or else by its
 *   0-based index: `PROSA__PROCESSORS__INJ_1__SETTINGS__MAXSPEED` is
 *   `processors[<the one named inj-1>].settings.maxSpeed`;
 * - a field the file leaves out can be set when the schema knows it (missing parent
 *   mappings are created);
 * - the value is read as YAML: `500` is a number, `true` a boolean, `[A, B]` a list,
 *   `{a: 1}` a mapping, anything else a string (quote it, `'"500"'`, to force a string);
 * - variables are applied in name order; one that matches no field is an error, reported
 *   with the others.
 */
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { containerKind, objectKeys } from './schema-walk.js';
import { isSecretKey } from '../observability/secrets.js';
import { isSensitiveSchema, SECRET_FOUND } from './sensitive.js';
import { describeFound, formatPath, settingsIssue, type SettingsIssue } from './settings-error.js';

/** Prefix of override variables. */
export const ENV_PREFIX = 'PROSA__';

/** Environment variables, as `process.env`. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** One override that was applied. */
export interface AppliedOverride {
  /** The variable's name. */
  readonly variable: string;
  /** Path of the field it set. */
  readonly path: readonly (string | number)[];
}

/** What {@link applyEnvOverrides} returns. */
export interface EnvOverrideResult {
  /** The settings with the overrides applied (a copy; the input is not changed). */
  readonly value: unknown;
  /** The overrides applied, in order. */
  readonly applied: AppliedOverride[];
  /** Variables that could not be applied. */
  readonly issues: SettingsIssue[];
}

/**
 * The schema of the field at `path`, when known (used to resolve fields the file leaves
 * out). `root` is the settings as the overrides applied so far left them.
 */
export type SchemaLookup = (path: readonly (string | number)[], root: unknown) => z.ZodType | undefined;

function normalize(segment: string): string {
  return segment.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads an override's text as YAML; a bad one stays a string. */
function parseValue(text: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch {
    return text;
  }
}

/** True when the field at `path` or one of its parents is a secret (by name or by its schema's mark). */
function holdsSecret(path: readonly (string | number)[], root: unknown, schemaFor: SchemaLookup): boolean {
  for (let end = 1; end <= path.length; end++) {
    const segment = path[end - 1]!;
    if (typeof segment === 'string' && isSecretKey(segment)) return true;
    const schema = schemaFor(path.slice(0, end), root);
    if (schema !== undefined && isSensitiveSchema(schema)) return true;
  }
  return false;
}

function itemName(item: unknown): string | undefined {
  return isRecord(item) && typeof item['name'] === 'string' ? item['name'] : undefined;
}

/**
 * Applies every `PROSA__...` variable of `env` to a copy of `settings`. Never throws:
 * variables that match no field come back as issues (`env` set on each).
 */
export function applyEnvOverrides(settings: unknown, env: Environment, schemaFor: SchemaLookup): EnvOverrideResult {
  const names = Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && env[name] !== undefined)
    .sort();
  if (names.length === 0) return { value: settings, applied: [], issues: [] };
  const root: unknown = structuredClone(settings);
  const applied: AppliedOverride[] = [];
  const issues: SettingsIssue[] = [];
  for (const variable of names) {
    const segments = variable.slice(ENV_PREFIX.length).split('__');
    const fail = (path: readonly (string | number)[], expected: string, found: string) =>
      issues.push(settingsIssue(formatPath(path), expected, found, { env: variable }));
    if (segments.some((segment) => normalize(segment) === '')) {
      fail([], 'a variable named PROSA__<FIELD>__<FIELD>... with no empty field', JSON.stringify(variable));
      continue;
    }
    if (!isRecord(root)) {
      fail([], 'settings that are a mapping', describeFound(root));
      continue;
    }
    let node: Record<string, unknown> | unknown[] = root;
    const path: (string | number)[] = [];
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const wanted = normalize(segment);
      const last = i === segments.length - 1;
      let key: string | number;
      if (Array.isArray(node)) {
        const byName = node.findIndex((item) => normalize(itemName(item) ?? '') === wanted);
        const index = /^\d+$/.test(segment) ? Number(segment) : -1;
        if (byName >= 0) key = byName;
        else if (index >= 0 && index < node.length) key = index;
        else {
          const names = node.map((item, n) => itemName(item) ?? String(n));
          fail(path, `an item named (or numbered) ${segment}: one of ${names.join(', ') || '(none: the list is empty)'}`, `no such item`);
          break;
        }
      } else {
        const present = Object.keys(node).filter((name) => normalize(name) === wanted);
        const schema = schemaFor(path, root);
        const known = schema === undefined ? [] : (objectKeys(schema) ?? []).filter((name) => normalize(name) === wanted);
        const candidates = present.length > 0 ? present : known;
        if (candidates.length !== 1) {
          const fields = [...new Set([...Object.keys(node), ...(schema === undefined ? [] : (objectKeys(schema) ?? []))])];
          const expected =
            candidates.length > 1
              ? `a segment that names one field, not several (${candidates.join(', ')})`
              : `a known field: ${fields.join(', ') || '(none)'}`;
          fail(path, expected, `${JSON.stringify(segment)}`);
          break;
        }
        key = candidates[0]!;
      }
      path.push(key);
      if (last) {
        (node as Record<string | number, unknown>)[key] = parseValue(env[variable]!);
        applied.push({ variable, path: [...path] });
        break;
      }
      let next: unknown = (node as Record<string | number, unknown>)[key];
      if (next === undefined) {
        const childSchema = schemaFor(path, root);
        if (childSchema !== undefined && containerKind(childSchema) === 'mapping') {
          next = {};
          (node as Record<string | number, unknown>)[key] = next;
        }
      }
      if (!isRecord(next) && !Array.isArray(next)) {
        fail(path, 'a mapping or a list to set a field in', holdsSecret(path, root, schemaFor) ? SECRET_FOUND : describeFound(next));
        break;
      }
      node = next;
    }
  }
  return { value: root, applied, issues };
}
