/**
 * A record read from a text already in the text form keeps that very text until it
 * changes: whatever text it was read from (fields out of order, repeated
 * ids, `+` signs, leading zeros, any script) and whatever changes follow (puts, removes,
 * nested records), `serialize()` is always the text form of the fields it holds now.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimpleStringTvf } from '../../src/index.js';

/** Runs of each property: the CI default, or `PROSA_PROPERTY_RUNS`. */
const RUNS = Number(process.env.PROSA_PROPERTY_RUNS ?? 60);

const value = fc.string({ unit: fc.oneof(fc.constantFrom('a', ';', '0', 'é', '漢', '😀'), fc.string({ unit: 'grapheme', maxLength: 1 })) });
const number = (n: number, form: number) => (form === 1 ? `+${n}` : form === 2 ? `0${n}` : `${n}`);
/** A field as written in a text: its id, value, and how its id and length are spelled. */
const written = fc.record({
  id: fc.integer({ min: 0, max: 40 }),
  value,
  idForm: fc.constantFrom(0, 0, 0, 1, 2),
  lenForm: fc.constantFrom(0, 0, 0, 1, 2),
});

/** The text form of `fields` (id -> value): ascending ids, `ID;LEN;VALUE;`. */
function textForm(fields: Map<number, string>): string {
  return [...fields.entries()]
    .sort(([a], [b]) => a - b)
    .map(([id, v]) => `${id};${Buffer.byteLength(v)};${v};`)
    .join('');
}

const change = fc.oneof(
  fc.record({ op: fc.constant('put' as const), id: fc.integer({ min: 0, max: 40 }), value }),
  fc.record({ op: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ op: fc.constant('nest' as const), id: fc.integer({ min: 0, max: 40 }), value }),
);

describe('TVF text form, kept', () => {
  it('serializes to the text form of the fields held now, before and after any changes', () => {
    fc.assert(
      fc.property(fc.array(written, { maxLength: 8 }), fc.array(change, { maxLength: 6 }), fc.boolean(), (fields, changes, readFirst) => {
        const source = fields.map((f) => `${number(f.id, f.idForm)};${number(Buffer.byteLength(f.value), f.lenForm)};${f.value};`).join('');
        const model = new Map<number, string>();
        for (const f of fields) model.set(f.id, f.value);
        const tvf = SimpleStringTvf.deserialize(source);
        // reads first (they may put the fields in order): what is kept must not depend on them
        if (readFirst) expect(tvf.keys()).toEqual([...model.keys()].sort((a, b) => a - b));
        expect(tvf.serialize()).toBe(textForm(model));
        expect(tvf.clone().serialize()).toBe(textForm(model));
        for (const c of changes) {
          if (c.op === 'put') {
            tvf.putString(c.id, c.value);
            model.set(c.id, c.value);
          } else if (c.op === 'remove') {
            tvf.remove(c.id);
            model.delete(c.id);
          } else {
            const nested = new SimpleStringTvf();
            nested.putString(1, c.value);
            tvf.putBuffer(c.id, nested);
            nested.putString(2, 'changed after'); // the parent holds a copy
            model.set(c.id, `1;${Buffer.byteLength(c.value)};${c.value};`);
          }
          expect(tvf.serialize()).toBe(textForm(model));
        }
        const copy = SimpleStringTvf.fromUtf8(tvf.toUtf8());
        expect(copy.serialize()).toBe(textForm(model));
        expect(copy.equals(tvf)).toBe(true);
      }),
      { numRuns: RUNS * 3 },
    );
  });
});
