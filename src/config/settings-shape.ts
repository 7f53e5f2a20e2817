/**
 * Settings shape: the bounds every settings value is held to before its schema reads it,
 * whether it came from a file, an environment override or code. Mappings and lists nest
 * at most {@link MAX_SETTINGS_DEPTH} deep, hold at most {@link MAX_SETTINGS_VALUES}
 * values in all, never contain themselves (a YAML alias to an ancestor), and no mapping
 * has a `__proto__` key (a JavaScript object cannot hold it as data: the schema would
 * drop it, or worse). Each breach is an issue naming the path; nothing here recurses, so
 * no input can exhaust the stack.
 */
import { formatPath, settingsIssue, type SettingsIssue } from './settings-error.js';
import type { Locate } from './schema-issues.js';

/** Deepest nesting of mappings and lists in settings: the top-level mapping is depth 1. */
export const MAX_SETTINGS_DEPTH = 64;

/** Most values (scalars, mappings and lists, aliases counted each time they are used) in one settings value. */
export const MAX_SETTINGS_VALUES = 2_000_000;

/** Most alias expansions in one settings file (the `yaml` package's guard against "billion laughs"). */
export const MAX_ALIAS_COUNT = 100;

/** Segments of a long path shown in messages; the full path stays in the issue's `path`. */
const SHOWN_SEGMENTS = 8;

/**
 * A path for a message: the whole of a short one; the first segments of a long one, and
 * how deep it goes (`services.A.sensitive[1]["10"][1]["10"][1]... (130 levels)`).
 */
export function briefPath(path: readonly (string | number)[]): string {
  if (path.length <= SHOWN_SEGMENTS + 2) return formatPath(path) || '(top level)';
  return `${formatPath(path.slice(0, SHOWN_SEGMENTS))}... (${path.length} levels)`;
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** One container on the walk, with its path and depth; or the mark that the walk left it. */
type Step =
  | { readonly value: Record<string, unknown> | unknown[]; readonly path: readonly (string | number)[]; readonly depth: number }
  | { readonly leave: object };

/**
 * Checks the shape of a settings value (see the module doc): the issues found, each
 * naming its path, in walk order; none for a value within bounds. Never throws, and
 * works with an explicit stack: any depth is safe.
 */
export function checkSettingsShape(value: unknown, locate: Locate = () => ({})): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  if (!isContainer(value)) return issues;
  const at = (path: readonly (string | number)[]) => locate(path);
  const stack: Step[] = [{ value, path: [], depth: 1 }];
  // The containers from the top down to the one being walked: a child among them is a cycle.
  const onPath = new Set<object>();
  const paths = new Map<object, readonly (string | number)[]>([[value, []]]);
  let seen = 1;
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if ('leave' in frame) {
      onPath.delete(frame.leave);
      continue;
    }
    if (frame.depth > MAX_SETTINGS_DEPTH) {
      issues.push(
        settingsIssue(
          formatPath(frame.path),
          `mappings and lists nested at most ${MAX_SETTINGS_DEPTH} deep`,
          'one nested deeper',
          at(frame.path),
          briefPath(frame.path),
        ),
      );
      continue;
    }
    onPath.add(frame.value);
    stack.push({ leave: frame.value });
    const keys: readonly (string | number)[] = Array.isArray(frame.value) ? frame.value.map((_, index) => index) : Object.keys(frame.value);
    // Pushed in reverse, so the walk (and its issues) follow the file's order.
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      if (key === '__proto__') {
        const path = [...frame.path, key];
        issues.push(
          settingsIssue(formatPath(path), 'a field name other than __proto__ (no settings field has that name)', 'a field named "__proto__"', at(path)),
        );
        continue;
      }
      if (++seen > MAX_SETTINGS_VALUES) {
        return [settingsIssue('', `settings of at most ${MAX_SETTINGS_VALUES} values (aliases counted each time they are used)`, 'more', at([]))];
      }
      const child = (frame.value as Record<string | number, unknown>)[key];
      if (!isContainer(child)) continue;
      const path = [...frame.path, key];
      if (onPath.has(child)) {
        const target = briefPath(paths.get(child) ?? []);
        issues.push(
          settingsIssue(formatPath(path), 'a value that does not contain itself', `a YAML alias back to ${target}, which contains it`, at(path), briefPath(path)),
        );
        continue;
      }
      if (!paths.has(child)) paths.set(child, path);
      stack.push({ value: child, path, depth: frame.depth + 1 });
    }
  }
  return issues;
}
