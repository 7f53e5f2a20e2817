/**
 * Settings shared by the HTTP kinds: the JSON dictionary, the body format, field
 * references (an id, or a name the dictionary gives) and header names.
 */
import { z } from 'zod';
import { TvfDict, type TvfDictDefinition } from '../../tvf/dict.js';
import { fieldIdSchema } from '../../observability/dict-settings.js';
import { BODY_FORMATS } from './body-format.js';

export { fieldIdSchema, dictDefinitionSchema, dictSchema } from '../../observability/dict-settings.js';

/** A body format. */
export const bodyFormatSchema = z.enum(BODY_FORMATS);

/** A field reference: a field id, or a name `dict` gives. */
export const fieldRefSchema = z.union([fieldIdSchema, z.string().min(1)]).meta({ title: 'field id or dict name' });

/** A field reference: an id, or a name of the dictionary. */
export type FieldRef = z.output<typeof fieldRefSchema>;

/** An HTTP header name (an RFC 9110 token). */
export const headerNameSchema = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not an HTTP header name');

/** A header value: visible characters, spaces and tabs, no line breaks. */
export const headerValueSchema = z.string().regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'not an HTTP header value');

/** HTTP methods the kinds route and call. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** An HTTP method name, upper case. */
export const methodSchema = z.enum(HTTP_METHODS);

/**
 * Adds a settings issue at `path` (relative to the schema being refined) in the loader's
 * words: what the field should hold, and what it holds.
 */
export function addProblem(ctx: z.RefinementCtx, path: (string | number)[], expected: string, found: string, input: unknown): void {
  ctx.addIssue({ code: 'custom', path, message: `expected ${expected}, found ${found}`, input, params: { expected, found } });
}

/**
 * The id `ref` stands for in `dict`, or `undefined` when `ref` is a name the dictionary
 * does not give. Top-level names only: nested buffers are not addressable from HTTP.
 */
export function resolveField(ref: FieldRef, dict: TvfDict): number | undefined {
  return typeof ref === 'number' ? ref : dict.idOf(ref);
}

/**
 * Adds an issue at `path` (relative to the settings) for every name in `refs` that
 * `dictionary` does not give. For `superRefine` on a whole settings object.
 */
export function checkFieldRefs(
  ctx: z.RefinementCtx,
  dict: TvfDict | undefined,
  refs: Iterable<[path: (string | number)[], ref: FieldRef]>,
): void {
  for (const [path, ref] of refs) {
    if (typeof ref === 'number') continue;
    if (dict?.idOf(ref) === undefined) {
      const names = dict?.entries().map((entry) => entry.name) ?? [];
      const known = names.length === 0 ? 'dict names none' : `dict names ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''}`;
      addProblem(ctx, path, `a field id or a name in dict (${known})`, JSON.stringify(ref), ref);
    }
  }
}

/** The dictionary `definition` builds, or `undefined` when it is malformed (reported elsewhere). */
export function tryDict(definition: TvfDictDefinition): TvfDict | undefined {
  try {
    return new TvfDict(definition);
  } catch {
    return undefined;
  }
}
