/**
 * TVF templates: a record written in a settings file, either as ProSA's text form
 * (`"1;5;hello;"`) or as a mapping of field ids to values (`{ 1: hello, 2: 42 }`), built
 * once into a {@link SimpleStringTvf} that each message clones.
 */
import { z } from 'zod';
import { SimpleStringTvf } from '../tvf/simple-string-tvf.js';
import { TvfDict } from '../tvf/dict.js';
import { messageOf } from '../tvf/unknown-value.js';

/** The dictionary with no names: keys are decimal field ids. */
const IDS_ONLY = new TvfDict({});

/** A record as a settings file writes it. */
export type TvfTemplate = string | { readonly [id: string]: unknown };

/**
 * Builds the record a template describes.
 *
 * - a string is ProSA's text form, `ID;LEN;VALUE;` per field;
 * - a mapping has decimal field ids as keys; a string value is a string field, an integer
 *   a signed field, another number a float field, a mapping a nested record.
 *
 * @throws TvfError when the template does not describe a record.
 */
export function buildTvf(template: TvfTemplate): SimpleStringTvf {
  return typeof template === 'string' ? SimpleStringTvf.deserialize(template) : IDS_ONLY.fromJson(template);
}

/** Schema of a template field in settings; it checks that the template builds a record. */
export function tvfTemplateSchema(doc: string) {
  return z
    .union([
      z.string().describe("ProSA's text form: `ID;LEN;VALUE;` per field."),
      z
        .record(z.string(), z.unknown())
        .describe('Field id -> value: string, integer (signed), other number (float), mapping (nested record).'),
    ])
    .superRefine((template: string | Record<string, unknown>, ctx) => {
      try {
        buildTvf(template);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: messageOf(error),
          input: template,
          params: {
            expected: "a TVF record: ProSA's text form (`1;5;hello;`) or a mapping of field ids to values",
            found: `a template that does not build: ${messageOf(error)}`,
          },
        });
      }
    })
    .meta({ title: 'TVF record' })
    .describe(doc);
}
