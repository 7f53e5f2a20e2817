/**
 * Validation: checks a settings value against the instance schema and each processor's
 * settings against its kind's schema, after environment overrides, and collects every
 * issue at once (types, ranges, unknown fields, unknown kinds, duplicate names).
 */
import type { z } from 'zod';
import { applyEnvOverrides, type AppliedOverride, type Environment } from './env-overrides.js';
import type { KindRegistry } from './registry.js';
import { fromZodIssues, type Locate } from './schema-issues.js';
import { schemaAt } from './schema-walk.js';
import { describeFound, formatPath, SettingsError, settingsIssue, type SettingsIssue } from './settings-error.js';
import { instanceSettingsSchema, type InstanceSettings, type ProcessorSettings } from './settings-schema.js';

/** Options of {@link checkSettings} and {@link validateSettings}. */
export interface ValidateOptions {
  /** The processor kinds the settings may use. */
  kinds: KindRegistry;
  /**
   * Where the settings came from, named in every issue (a file name).
   * @defaultValue `'settings'`
   */
  source?: string;
  /**
   * Environment whose `PROSA__...` variables override fields (see `env-overrides.ts`);
   * pass `{}` to apply none.
   * @defaultValue `process.env`
   */
  env?: Environment;
  /** Line and column of a path in the source text, when there is one. */
  locate?: (path: readonly PropertyKey[]) => { line: number; column: number } | undefined;
}

/** What {@link checkSettings} found. */
export type SettingsCheck =
  | { ok: true; settings: InstanceSettings; overrides: AppliedOverride[] }
  | { ok: false; issues: SettingsIssue[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The raw processors list, or an empty one when it is not a list. */
function rawProcessors(root: unknown): unknown[] {
  const list = isRecord(root) ? root['processors'] : undefined;
  return Array.isArray(list) ? list : [];
}

function startsWith(path: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}

function byPosition(a: SettingsIssue, b: SettingsIssue): number {
  return (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0);
}

/**
 * Checks settings without throwing: the validated settings (defaults filled, each
 * processor's `settings` as its kind's schema output them), or every issue found.
 */
export function checkSettings(input: unknown, options: ValidateOptions): SettingsCheck {
  const { kinds } = options;
  const env = options.env ?? process.env;
  const factoryOf = (entry: unknown) => {
    const kind = isRecord(entry) ? entry['kind'] : undefined;
    return typeof kind === 'string' ? kinds.get(kind) : undefined;
  };
  const schemaFor = (path: readonly (string | number)[], root: unknown): z.ZodType | undefined => {
    if (path[0] === 'processors' && typeof path[1] === 'number' && path[2] === 'settings') {
      const factory = factoryOf(rawProcessors(root)[path[1]]);
      return factory === undefined ? undefined : schemaAt(factory.settings, path.slice(3));
    }
    return schemaAt(instanceSettingsSchema, path);
  };
  const overridden = applyEnvOverrides(input, env, schemaFor);
  const value = overridden.value;
  const locate: Locate = (path) => {
    const override = [...overridden.applied].reverse().find((applied) => startsWith(path, applied.path));
    if (override !== undefined) return { env: override.variable };
    return options.locate?.(path) ?? {};
  };
  const issues: SettingsIssue[] = [...overridden.issues];

  if (!isRecord(value)) {
    const found = value === null || value === undefined ? 'an empty file' : describeFound(value);
    issues.push(settingsIssue('', 'a mapping of settings (name, processors, ...)', found, locate([])));
    return { ok: false, issues };
  }

  const parsed = instanceSettingsSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) {
    issues.push(...fromZodIssues(parsed.error.issues, { schema: instanceSettingsSchema, root: value, locate }));
  }

  const processors = rawProcessors(value);
  const kindSettings: unknown[] = [];
  const firstWithName = new Map<string, number>();
  processors.forEach((entry, index) => {
    if (!isRecord(entry)) return; // the instance schema reported it
    const name = entry['name'];
    if (typeof name === 'string') {
      const first = firstWithName.get(name);
      if (first === undefined) firstWithName.set(name, index);
      else {
        const path = ['processors', index, 'name'];
        issues.push(
          settingsIssue(
            formatPath(path),
            'a name no other processor has',
            `${JSON.stringify(name)}, already the name of processors[${first}]`,
            locate(path),
          ),
        );
      }
    }
    const kind = entry['kind'];
    if (typeof kind !== 'string' || kind.length === 0) return; // reported by the instance schema
    const factory = kinds.get(kind);
    if (factory === undefined) {
      const path = ['processors', index, 'kind'];
      const known = kinds.kinds();
      const expected = known.length === 0 ? 'a registered kind (none is registered)' : `one of the known kinds: ${known.join(', ')}`;
      issues.push(settingsIssue(formatPath(path), expected, JSON.stringify(kind), locate(path)));
      return;
    }
    const prefix = ['processors', index, 'settings'];
    const result = factory.settings.safeParse(entry['settings'] ?? {}, { reportInput: true });
    if (result.success) kindSettings[index] = result.data;
    else issues.push(...fromZodIssues(result.error.issues, { prefix, schema: factory.settings, root: value, locate }));
  });

  if (issues.length > 0 || !parsed.success) {
    return { ok: false, issues: issues.sort(byPosition) };
  }
  const settings: InstanceSettings = {
    ...parsed.data,
    processors: parsed.data.processors.map((entry, index): ProcessorSettings => ({ ...entry, settings: kindSettings[index] })),
  };
  return { ok: true, settings, overrides: overridden.applied };
}

/**
 * Validates settings: returns them with every default filled, or throws a
 * {@link SettingsError} (`InvalidSettings`) listing every issue.
 */
export function validateSettings(input: unknown, options: ValidateOptions): InstanceSettings {
  const check = checkSettings(input, options);
  if (!check.ok) throw new SettingsError('InvalidSettings', options.source ?? 'settings', check.issues);
  return check.settings;
}
