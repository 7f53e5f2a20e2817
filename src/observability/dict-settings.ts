/**
 * TVF dictionaries in settings: the schema of a `dict` (field name -> id, or `{ id, type,
 * fields }`), shared by the http kinds (names of JSON bodies) and the `services` section
 * (names of a service's JSON form in the console and `prosa call`).
 */
import { z } from 'zod';
import { TvfDict, type TvfDictDefinition } from '../tvf/dict.js';
import { TvfError } from '../tvf/error.js';

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

/** A definition checked by building the `TvfDict` itself: a repeated id or a bad name is an issue at its path. */
export const checkedDictSchema = dictDefinitionSchema.superRefine((definition, ctx) => {
  try {
    new TvfDict(definition);
  } catch (error) {
    if (!(error instanceof TvfError)) throw error;
    const expected = 'a dictionary with unique names and ids';
    ctx.addIssue({ code: 'custom', path: [], message: `expected ${expected}, found ${error.message}`, input: definition, params: { expected, found: error.message } });
  }
});

/** `dict`: names of the fields in JSON bodies; empty by default. */
export const dictSchema = checkedDictSchema
  .default({})
  .meta({ title: 'TVF dictionary' })
  .describe(
    'Names of the TVF fields in JSON bodies: `name: id`, or `name: { id, type, fields }` with a value type ' +
      '(string, unsigned, signed, byte, float, bytes, date, datetime, buffer) and a sub-dictionary for a nested buffer. ' +
      'A field without a name is keyed by its decimal id.',
  );
