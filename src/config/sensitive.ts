/**
 * Secrets in settings: which fields of a settings value hold one (marked by its schema
 * with `sensitive()`, named as a secret header anywhere, or a URL password), and the
 * masking that every output of settings goes through: logs, the inspector, error
 * messages, `prosa validate` and `prosa kinds`. What a secret looks like in text, the
 * mark itself and the mask are in src/observability/secrets.ts (the logger and the
 * inspector use them too).
 *
 * Two faces of one walk: {@link maskSettings} gives a copy with every secret replaced by
 * `SECRET_MASK`; {@link secretsIn} lists the secret texts, so free text that may quote
 * them (the message of an error a factory threw) can be cleaned with `redactSecrets`.
 */
import { z } from 'zod';
import { hasSensitiveMark, isSecretKey, maskUrlCredentials, SECRET_MASK, urlPasswords } from '../observability/secrets.js';
import { childSchema, schemaLayers, unwrapSchema } from './schema-walk.js';

/** What a settings issue says it found in a sensitive field: never the value. */
export const SECRET_FOUND = 'a sensitive value (not shown)';

/** Most nested unions and intersections looked through for a mark. */
const MAX_UNION_DEPTH = 8;

function marked(schema: z.ZodType): boolean {
  return schemaLayers(schema).some(hasSensitiveMark);
}

/** The schemas a value of `schema` may match: itself, or each option of a union (and both sides of an intersection). */
function alternatives(schema: z.ZodType, depth = 0): z.ZodType[] {
  const inner = unwrapSchema(schema);
  if (depth >= MAX_UNION_DEPTH) return [inner];
  if (inner instanceof z.ZodUnion) return (inner.options as z.ZodType[]).flatMap((option) => alternatives(option, depth + 1));
  if (inner instanceof z.ZodIntersection) {
    return [...alternatives(inner.def.left as z.ZodType, depth + 1), ...alternatives(inner.def.right as z.ZodType, depth + 1)];
  }
  return [inner];
}

/** True when `schema` is marked sensitive: on itself, on a wrapper, or on an option of a union it is. */
export function isSensitiveSchema(schema: z.ZodType): boolean {
  if (marked(schema)) return true;
  const options = alternatives(schema);
  return options.length > 1 && options.some(marked);
}

/** The schemas of child `segment` under any of `schemas`. */
function childrenOf(schemas: readonly z.ZodType[], segment: string | number): z.ZodType[] {
  const out: z.ZodType[] = [];
  for (const schema of schemas) {
    for (const option of alternatives(schema)) {
      const child = childSchema(option, segment);
      if (child !== undefined) out.push(child);
    }
  }
  return out;
}

/**
 * True when the field at `path` holds a secret: a segment of the path is a secret name,
 * or the schema marks the field, or one of its parents, sensitive.
 */
export function isSensitivePath(schema: z.ZodType | undefined, path: readonly PropertyKey[]): boolean {
  let schemas = schema === undefined ? [] : [schema];
  for (const segment of path) {
    if (typeof segment === 'string' && isSecretKey(segment)) return true;
    if (typeof segment === 'symbol') return false;
    schemas = childrenOf(schemas, segment);
    if (schemas.some(isSensitiveSchema)) return true;
  }
  return false;
}

/** Deepest nesting walked; deeper values are replaced (masking) or left out (listing). */
const MAX_DEPTH = 64;

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Every text inside a secret value, for {@link secretsIn}. */
function textsOf(value: unknown, out: string[], depth: number, seen: Set<object>): void {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number' || typeof value === 'bigint') out.push(String(value));
  else if (typeof value === 'object' && value !== null && depth < MAX_DEPTH && !seen.has(value)) {
    seen.add(value);
    try {
      if (Buffer.isBuffer(value)) out.push(value.toString('utf8'));
      else for (const item of Array.isArray(value) ? value : Object.values(value)) textsOf(item, out, depth + 1, seen);
    } catch {
      // a hostile object (a throwing getter, a revoked Proxy): nothing more can be read
    }
    seen.delete(value);
  }
}

/**
 * The walk behind {@link maskSettings} and {@link secretsIn}: a copy of `value` with each
 * secret replaced by the mask; each secret's texts pushed to `found`.
 */
function walk(value: unknown, schemas: readonly z.ZodType[], depth: number, seen: Set<object>, found: string[]): unknown {
  if (typeof value === 'string') {
    found.push(...urlPasswords(value));
    return maskUrlCredentials(value);
  }
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  const isArray = Array.isArray(value);
  if (!isArray && !isPlainObject(value)) return value;
  seen.add(value);
  try {
    const secret = (schemasOfChild: z.ZodType[], child: unknown, key: string | number): unknown => {
      if ((typeof key === 'string' && isSecretKey(key)) || schemasOfChild.some(isSensitiveSchema)) {
        if (child === undefined) return undefined;
        textsOf(child, found, 0, new Set());
        return SECRET_MASK;
      }
      return walk(child, schemasOfChild, depth + 1, seen, found);
    };
    if (isArray) return value.map((item: unknown, index) => secret(childrenOf(schemas, index), item, index));
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = secret(childrenOf(schemas, key), value[key], key);
    return out;
  } catch {
    return '[unreadable]';
  } finally {
    seen.delete(value);
  }
}

/**
 * A copy of the settings `value` with every secret replaced by `SECRET_MASK`: fields
 * `schema` marks sensitive (with all they hold), fields named as a secret header
 * (`authorization`, ...) anywhere, and URL passwords inside any text. Without a schema
 * only the names and URLs are known. Plain objects and arrays are copied; other values
 * are kept as they are. Never throws: cycles and unreadable parts are replaced by a word.
 */
export function maskSettings(value: unknown, schema?: z.ZodType): unknown {
  return walk(value, schema === undefined ? [] : [schema], 0, new Set(), []);
}

/**
 * The secret texts inside the settings `value` (what {@link maskSettings} hides), for
 * `redactSecrets`. Numbers are listed as their decimal text.
 */
export function secretsIn(value: unknown, schema?: z.ZodType): string[] {
  const found: string[] = [];
  walk(value, schema === undefined ? [] : [schema], 0, new Set(), found);
  return found;
}

