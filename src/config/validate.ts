/**
 * Validation: checks a settings value against the instance schema and each processor's
 * settings against its kind's schema, after environment overrides, and collects every
 * issue at once: the value's shape (depth, aliases to itself, `__proto__` keys), types,
 * ranges, unknown fields, unknown kinds, duplicate names, sensitive-field rules that
 * cannot be prepared, and listeners of one file on the same port. `prosa validate` and
 * `prosa run` both check settings here (and then build them with `buildInstance`), so
 * whatever `run` refuses, `validate` refuses.
 */
import type { z } from 'zod';
import { messageOf } from '../tvf/unknown-value.js';
import { payloadMasksOf } from '../observability/payload-masks.js';
import { applyEnvOverrides, type AppliedOverride, type Environment } from './env-overrides.js';
import type { ListenAddress } from './factory.js';
import type { KindRegistry } from './registry.js';
import { fromZodIssues, type Locate } from './schema-issues.js';
import { schemaAt } from './schema-walk.js';
import { describeFound, formatPath, SettingsError, settingsIssue, type SettingsIssue } from './settings-error.js';
import { instanceSettingsSchema, type InstanceSettings, type ProcessorSettings } from './settings-schema.js';
import { checkSettingsShape } from './settings-shape.js';

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
  // The shape first: what follows (overrides, schemas) walks the value and must not meet
  // a cycle or a nesting that exhausts the stack.
  const shapeIssues = checkSettingsShape(input, (path) => options.locate?.(path) ?? {});
  if (shapeIssues.length > 0) return { ok: false, issues: shapeIssues.sort(byPosition) };
  const overridden = applyEnvOverrides(input, env, schemaFor);
  const value = overridden.value;
  const locate: Locate = (path) => {
    const override = [...overridden.applied].reverse().find((applied) => startsWith(path, applied.path));
    if (override !== undefined) return { env: override.variable };
    return options.locate?.(path) ?? {};
  };
  if (overridden.applied.length > 0) {
    // An override's value is YAML too: it may nest or refer to itself.
    const overrideIssues = checkSettingsShape(value, locate);
    if (overrideIssues.length > 0) return { ok: false, issues: [...overridden.issues, ...overrideIssues].sort(byPosition) };
  }
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
  const listeners: Listener[] = [];
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
    if (!result.success) {
      issues.push(...fromZodIssues(result.error.issues, { prefix, schema: factory.settings, root: value, locate }));
      return;
    }
    kindSettings[index] = result.data;
    let addresses: readonly ListenAddress[] = [];
    try {
      addresses = factory.listens?.(result.data) ?? [];
    } catch (error) {
      issues.push(settingsIssue(formatPath(prefix), `settings kind '${kind}' can tell the ports of`, `an error: ${messageOf(error)}`, locate(prefix)));
    }
    const owner = typeof name === 'string' ? `processors[${index}] (${name})` : `processors[${index}]`;
    for (const address of addresses) listeners.push({ ...address, path: [...prefix, ...address.path], owner });
  });

  if (issues.length > 0 || !parsed.success) {
    return { ok: false, issues: issues.sort(byPosition) };
  }
  const settings: InstanceSettings = {
    ...parsed.data,
    processors: parsed.data.processors.map((entry, index): ProcessorSettings => ({ ...entry, settings: kindSettings[index] })),
  };
  issues.push(...maskIssues(settings, locate));
  const metrics = settings.metrics;
  const console = settings.console;
  if (console !== undefined && console.enabled) listeners.unshift({ host: console.host, port: console.port, path: ['console', 'port'], owner: 'console' });
  if (metrics !== undefined) listeners.unshift({ host: metrics.host, port: metrics.port, path: ['metrics', 'port'], owner: 'metrics' });
  issues.push(...portIssues(listeners, locate));
  if (issues.length > 0) return { ok: false, issues: issues.sort(byPosition) };
  return { ok: true, settings, overrides: overridden.applied };
}

/** A TCP address the settings listen on, and what declares it. */
interface Listener extends ListenAddress {
  /** Who listens there, for messages: `metrics`, `processors[0] (front)`. */
  readonly owner: string;
}

/** Hosts that listen on every interface: they share a port with no one. */
const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

function sameInterface(a: string, b: string): boolean {
  const canonical = (host: string) => (host.toLowerCase() === 'localhost' ? '127.0.0.1' : host.toLowerCase());
  return WILDCARD_HOSTS.has(a) || WILDCARD_HOSTS.has(b) || canonical(a) === canonical(b);
}

/** Two listeners of the file on one port (0, any free port, never clashes): the second cannot start. */
function portIssues(listeners: readonly Listener[], locate: Locate): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  const byPort = new Map<number, Listener[]>();
  for (const listener of listeners) {
    if (listener.port === 0) continue;
    const others = byPort.get(listener.port);
    if (others === undefined) byPort.set(listener.port, [listener]);
    else others.push(listener);
    const first = others?.find((other) => other !== listener && sameInterface(other.host, listener.host));
    if (first === undefined) continue;
    issues.push(
      settingsIssue(
        formatPath(listener.path),
        'a port no other listener of the file uses',
        `${listener.port}, already the port of ${first.owner} on ${first.host || 'every interface'}`,
        locate(listener.path),
      ),
    );
  }
  return issues;
}

/** The sensitive fields of each service must prepare into masks, as the run's logger prepares them. */
function maskIssues(settings: InstanceSettings, locate: Locate): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  for (const [service, entry] of Object.entries(settings.services)) {
    try {
      payloadMasksOf({ [service]: entry });
    } catch (error) {
      const path = ['services', service, 'sensitive'];
      issues.push(settingsIssue(formatPath(path), 'sensitive field rules that can be prepared as masks', `an error: ${messageOf(error)}`, locate(path)));
    }
  }
  if (issues.length > 0) return issues;
  try {
    payloadMasksOf(settings.services);
  } catch (error) {
    issues.push(settingsIssue('services', 'sensitive field rules that can be prepared as masks', `an error: ${messageOf(error)}`, locate(['services'])));
  }
  return issues;
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
