/**
 * Sensitive settings: fields whose value is a secret (a password, a token, a key seed).
 * A schema marks such a field with {@link sensitive}, which records `{ sensitive: true }`
 * in zod's metadata (so it also shows in the JSON Schema, as `"sensitive": true`); code
 * that shows settings or their errors asks {@link isSensitive} and shows
 * {@link SENSITIVE_MASK} or {@link describeHidden} instead of the value.
 */
import { z } from 'zod';
import { childSchema } from './schema-walk.js';

/** What stands in for a secret wherever settings are shown. */
export const SENSITIVE_MASK = '[hidden]';

/** Most wrappers looked through for the mark (a lazy schema may return itself). */
const MAX_LAYERS = 32;

/** `schema`, marked as holding a secret (its other metadata kept). */
export function sensitive<T extends z.ZodType>(schema: T): T {
  return schema.meta({ ...(z.globalRegistry.get(schema) ?? {}), sensitive: true }) as T;
}

/** True when `schema`, or a wrapper it is in (optional, default, ...), is marked {@link sensitive}. */
export function isSensitive(schema: z.ZodType | undefined): boolean {
  let current: z.ZodType | undefined = schema;
  for (let i = 0; i < MAX_LAYERS && current !== undefined; i++) {
    if ((z.globalRegistry.get(current) as { sensitive?: unknown } | undefined)?.sensitive === true) return true;
    const inner: unknown = 'unwrap' in current && typeof current.unwrap === 'function' ? current.unwrap() : undefined;
    current = inner instanceof z.ZodType && inner !== current ? inner : undefined;
  }
  return false;
}

/** What a hidden value is, without the value: `a string (hidden: sensitive)`. */
export function describeHidden(value: unknown): string {
  const kind =
    value === undefined
      ? 'nothing'
      : value === null
        ? 'null'
        : Array.isArray(value)
          ? 'a list'
          : typeof value === 'object'
            ? 'a mapping'
            : typeof value === 'number' || typeof value === 'bigint'
              ? 'a number'
              : typeof value === 'boolean'
                ? 'true or false'
                : 'a string';
  return `${kind} (hidden: sensitive)`;
}

/**
 * A copy of `value` (settings of `schema`) with every sensitive field that is set replaced
 * by {@link SENSITIVE_MASK}, in nested mappings and lists too. Values the schema does not
 * describe are kept as they are.
 */
export function maskSensitive<T>(schema: z.ZodType, value: T): T {
  return maskAt(schema, value, 0) as T;
}

function maskAt(schema: z.ZodType | undefined, value: unknown, depth: number): unknown {
  if (schema === undefined || value === null || typeof value !== 'object' || depth > MAX_LAYERS) return value;
  if (Array.isArray(value)) return value.map((item, index) => maskField(childSchema(schema, index), item, depth));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = maskField(childSchema(schema, key), item, depth);
  return out;
}

function maskField(schema: z.ZodType | undefined, value: unknown, depth: number): unknown {
  if (value === undefined) return value;
  return isSensitive(schema) ? SENSITIVE_MASK : maskAt(schema, value, depth + 1);
}
