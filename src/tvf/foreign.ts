/**
 * Checked copies of records of other `Tvf` implementations. What such a record gives
 * becomes part of a `SimpleStringTvf`, which must serialize to a text that reads back;
 * and the record may break its contract (a `getString` that returns a number, keys that
 * are not ids, getters that throw, a Proxy). So it is read once, through `keys`,
 * `getString` and (when it has one) `kindOf`, and every answer is checked.
 */
import { numberOrType, typeName, type TvfError, type TvfErrorKind } from './error.js';
import { isFieldId } from './field-id.js';
import { FieldTable } from './field-table.js';
import { DEFAULT_TVF_READ_LIMITS } from './read-limits.js';
import { readFields } from './record-reader.js';
import { FIELD_KINDS, type TvfFieldKind } from './tvf.js';
import { utf8Length } from './utf8.js';

/** Makes the error for a record that cannot be copied: `why` says what it did wrong. */
export type ForeignFailure = (kind: TvfErrorKind, why: string, cause?: unknown) => TvfError;

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * The fields of `value`, a record of another implementation, as a new table (in id order,
 * whatever order `keys()` gives). A field of kind `buffer` must hold a record text (it is
 * read one level, under the default limits, to check). Runs no code of `value` but its
 * `keys`, `getString` and `kindOf`, once each per field.
 * @throws TvfError made by `fail`: `TypeMismatch` when `value` is not an object with
 *   `keys()` and `getString()` methods, `keys()` does not return an array of distinct
 *   field ids, `getString` returns something other than a string, `kindOf` returns no
 *   field kind, a `buffer` field does not hold a record text, or any of these methods
 *   (or a getter on the way) throws; `ConversionError` for a string with a lone UTF-16
 *   surrogate.
 */
export function copyForeign(value: unknown, fail: ForeignFailure): FieldTable {
  let failure: TvfError | undefined;
  const reject = (kind: TvfErrorKind, why: string): TvfError => (failure = fail(kind, why));
  let step = 'keys';
  try {
    if (typeof value !== 'object' || value === null) throw reject('TypeMismatch', `it is ${typeName(value)}, not an object`);
    const record = value as Record<string, unknown>;
    const keys = record['keys'];
    step = 'getString';
    const getString = record['getString'];
    step = 'kindOf';
    const kindOf = record['kindOf'];
    if (typeof keys !== 'function' || typeof getString !== 'function')
      throw reject('TypeMismatch', 'it has no keys() or getString() method');
    step = 'keys()';
    const ids: unknown = (keys as Method).call(value);
    if (!Array.isArray(ids)) throw reject('TypeMismatch', `its keys() returned ${typeName(ids)}, not an array`);
    const table = new FieldTable();
    step = 'keys() array';
    const n = ids.length;
    for (let i = 0; i < n; i++) {
      step = 'keys() array';
      const id: unknown = ids[i];
      if (!isFieldId(id)) throw reject('TypeMismatch', `its keys() listed ${numberOrType(id)}, not a field id`);
      if (table.find(id) >= 0) throw reject('TypeMismatch', `its keys() listed field ${id} twice`);
      step = `getString(${id})`;
      const text: unknown = (getString as Method).call(value, id);
      if (typeof text !== 'string')
        throw reject('TypeMismatch', `its getString(${id}) returned ${typeName(text)}, not a string`);
      const size = utf8Length(text);
      if (size < 0) throw reject('ConversionError', `its getString(${id}) returned a string with a lone UTF-16 surrogate`);
      let kind: unknown = 'text';
      if (typeof kindOf === 'function') {
        step = `kindOf(${id})`;
        kind = (kindOf as Method).call(value, id);
        if (typeof kind !== 'string' || !FIELD_KINDS.has(kind)) throw reject('TypeMismatch', `its kindOf(${id}) returned no field kind`);
      }
      if (kind === 'buffer') {
        step = `field ${id}`;
        try {
          readFields(text, DEFAULT_TVF_READ_LIMITS);
        } catch {
          throw reject('TypeMismatch', `its field ${id} is of kind buffer but does not hold a record text`);
        }
      }
      table.set(id, text, size, kind as TvfFieldKind);
    }
    return table;
  } catch (error) {
    if (failure !== undefined && error === failure) throw error; // ours; a record may throw undefined itself
    throw fail('TypeMismatch', `reading its ${step} threw`, error);
  }
}
