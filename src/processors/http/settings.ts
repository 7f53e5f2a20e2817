/**
 * Settings shared by the HTTP kinds: the JSON dictionary, the body format, field
 * references (an id, or a name the dictionary gives) and header names.
 */
import { z } from 'zod';
import { TvfDict, type TvfDictDefinition } from '../../tvf/dict.js';
import { TvfError } from '../../tvf/error.js';
import { BODY_FORMATS } from './body-format.js';

const VALUE_TYPES = ['string', 'unsigned', 'signed', 'byte', 'float', 'bytes', 'date', 'datetime', 'buffer'] as const;

/** A TVF field id: a non-negative safe integer. */
export const fieldIdSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** A dictionary definition: field name -> id, or -> `{ id, type?, fields? }` (nested buffers). */
export const dictDefinitionSchema: z.ZodType<TvfDictDefinition> = z.lazy(() =>
  z.record(
    z.string(),
    z.union([
      fieldIdSchema,
      z.strictObject({
        id: fieldIdSchema,
        type: z.enum(VALUE_TYPES).optional(),
        fields: dictDefinitionSchema.optional(),
      }),
    ]),
  ),
);

/**
 * `dict`: names of the fields in JSON bodies. Checked by building the `TvfDict` itself, so
 * a repeated id or a bad name is reported here, with its path.
 */
export const dictSchema = dictDefinitionSchema
  .default({})
  .superRefine((definition, ctx) => {
    try {
      new TvfDict(definition);
    } catch (error) {
      if (!(error instanceof TvfError)) throw error;
      addProblem(ctx, [], 'a dictionary with unique names and ids', error.message, definition);
    }
  })
  .meta({ title: 'TVF dictionary' })
  .describe(
    'Names of the TVF fields in JSON bodies: `name: id`, or `name: { id, type, fields }` with a value type ' +
      '(string, unsigned, signed, byte, float, bytes, date, datetime, buffer) and a sub-dictionary for a nested buffer. ' +
      'A field without a name is keyed by its decimal id.',
  );

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
