/**
 * Secrets in settings: the one way a settings schema marks a field sensitive
 * (`sensitive(z.string())`, or `.meta({ sensitive: true })`), and the masking that every
 * output of settings goes through: logs, the inspector, error messages, `prosa validate`
 * and `prosa kinds`. Besides marked fields, a few names are secrets wherever they appear
 * (HTTP credential headers such as `authorization`), and so is the password of a URL
 * (`nats://user:pass@host`).
 *
 * Two faces of one walk: {@link maskSettings} gives a copy with every secret replaced by
 * {@link SECRET_MASK}; {@link secretsIn} lists the secret texts, so free text that may
 * quote them (the message of an error a factory threw) can be cleaned with
 * {@link redactSecrets}.
 */
import { z } from 'zod';
import { childSchema, schemaLayers, unwrapSchema } from './schema-walk.js';

/** What a secret is replaced with. Never the secret's length, never a part of it. */
export const SECRET_MASK = '***';

/** What a settings issue says it found in a sensitive field: never the value. */
export const SECRET_FOUND = 'a sensitive value (not shown)';

/**
 * Names (compared without case) whose value is a secret in any mapping of the settings,
 * whatever the schema says: the HTTP headers that carry credentials.
 */
export const SECRET_HEADER_NAMES: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-auth-token',
  'x-access-token',
  'x-amz-security-token',
]);

/** True when a field of this name holds a secret whatever its schema (see {@link SECRET_HEADER_NAMES}). */
export function isSecretKey(name: string): boolean {
  return SECRET_HEADER_NAMES.has(name.toLowerCase());
}

/**
 * Marks a settings field sensitive: its value is masked in logs, the inspector, error
 * messages and the CLI's output. The same as `schema.meta({ sensitive: true })`; wrappers
 * added after it (`.optional()`, `.default()`, `.describe()`) keep the mark.
 *
 * ```ts
 * z.strictObject({ user: z.string(), password: sensitive(z.string()).optional() })
 * ```
 */
export function sensitive<Schema extends z.ZodType>(schema: Schema): Schema {
  return schema.meta({ sensitive: true });
}

/** Most nested unions and intersections looked through for a mark. */
const MAX_UNION_DEPTH = 8;

function marked(schema: z.ZodType): boolean {
  return schemaLayers(schema).some((layer) => (layer.meta() as { sensitive?: unknown } | undefined)?.sensitive === true);
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

/** `scheme://user:password@` at the start of a URL. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*):([^\s/?#@]+)@/gi;

/** `text` with the password of every URL in it replaced: `nats://user:***@host:4222`. */
export function maskUrlCredentials(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_CREDENTIALS, (_match, scheme: string, user: string) => `${scheme}${user}:${SECRET_MASK}@`);
}

function urlPasswords(text: string, out: string[]): void {
  if (!text.includes('://')) return;
  for (const match of text.matchAll(URL_CREDENTIALS)) out.push(safeDecode(match[3]!), match[3]!);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
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
    urlPasswords(value, found);
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
 * A copy of the settings `value` with every secret replaced by {@link SECRET_MASK}: fields
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
 * {@link redactSecrets}. Numbers are listed as their decimal text.
 */
export function secretsIn(value: unknown, schema?: z.ZodType): string[] {
  const found: string[] = [];
  walk(value, schema === undefined ? [] : [schema], 0, new Set(), found);
  return found;
}

/** Shortest secret (or part of one) replaced in free text: shorter ones would garble it. */
export const MIN_REDACTED_LENGTH = 4;

/** Words of a credential that are no secret (`Bearer <token>`). */
const AUTH_SCHEMES = new Set(['basic', 'bearer', 'digest', 'token', 'negotiate', 'apikey']);

/** The texts to look for: each secret, its words (`Bearer <token>` gives the token), and their JSON-escaped forms. */
function needles(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const secret of secrets) {
    const parts = [secret, ...secret.split(/\s+/).filter((word) => !AUTH_SCHEMES.has(word.toLowerCase()))];
    for (const part of parts) {
      if (part.length < MIN_REDACTED_LENGTH) continue;
      out.add(part);
      out.add(JSON.stringify(part).slice(1, -1));
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/**
 * `text` with every secret of `secrets` (as {@link secretsIn} lists them) replaced by
 * {@link SECRET_MASK}, and every URL password masked. For messages that may quote
 * settings: an error a factory or a client threw. Secrets shorter than
 * {@link MIN_REDACTED_LENGTH} characters are left: replacing them would garble the text.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = maskUrlCredentials(text);
  for (const needle of needles(secrets)) if (out.includes(needle)) out = out.split(needle).join(SECRET_MASK);
  return out;
}
