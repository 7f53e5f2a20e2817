/**
 * What a secret looks like wherever prosa writes something (logs, the inspector, error
 * messages, the CLI's output): the mask that replaces it, the names whose value is a
 * secret in any mapping (HTTP credential headers), the password of a URL, the redaction
 * of known secret texts from free text, and the mark a settings schema puts on a
 * sensitive field. Which fields of a settings value are secret is found in
 * src/config/sensitive.ts, from these.
 */
import type { z } from 'zod';

/** What a secret is replaced with. Never the secret's length, never a part of it. */
export const SECRET_MASK = '***';

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

/** True when this one schema layer carries the mark ({@link sensitive}, or `.meta({ sensitive: true })`). */
export function hasSensitiveMark(schema: z.ZodType): boolean {
  return (schema.meta() as { sensitive?: unknown } | undefined)?.sensitive === true;
}

/** `scheme://user:password@` at the start of a URL. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*):([^\s/?#@]+)@/gi;

/** `text` with the password of every URL in it replaced: `nats://user:***@host:4222`. */
export function maskUrlCredentials(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_CREDENTIALS, (_match, scheme: string, user: string) => `${scheme}${user}:${SECRET_MASK}@`);
}

/** The password of every URL in `text`, as written and decoded. */
export function urlPasswords(text: string): string[] {
  if (!text.includes('://')) return [];
  const out: string[] = [];
  for (const match of text.matchAll(URL_CREDENTIALS)) out.push(safeDecode(match[3]!), match[3]!);
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
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
 * `text` with every secret of `secrets` (as `secretsIn` lists them) replaced by
 * {@link SECRET_MASK}, and every URL password masked. For messages that may quote
 * settings: an error a factory or a client threw. Secrets shorter than
 * {@link MIN_REDACTED_LENGTH} characters are left: replacing them would garble the text.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = maskUrlCredentials(text);
  for (const needle of needles(secrets)) if (out.includes(needle)) out = out.split(needle).join(SECRET_MASK);
  return out;
}
