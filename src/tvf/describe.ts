/**
 * Readable text of a record for logs and debugging (not a wire form: see `serialize`).
 */
import { numberOrType, TvfError, typeName } from './error.js';
import { isFieldId } from './field-id.js';
import { DEFAULT_TVF_READ_LIMITS } from './read-limits.js';
import { hasKinds, type Tvf } from './tvf.js';

/**
 * Fields described in all past which nested buffers are no longer opened (their text is
 * shown instead): a record of another implementation whose `getBuffer` returns itself
 * would otherwise be opened without end.
 */
const MAX_OPENED_FIELDS = 100_000;

/**
 * `{1: 42, 2: "abc", 7: <aabb>, 10: {200: 154.5}}`: ids in order; strings and fields read
 * from text quoted as JSON strings; bytes as `<hex>`, a byte as `0x20`; numbers and dates
 * bare; nested buffers written with `putBuffer` opened (down to the record's read depth
 * limit, and at most 32 levels, below which their text is shown quoted). Never throws for
 * a well-behaved `tvf`.
 * @throws TvfError `TypeMismatch` when `tvf` is not a `Tvf`, or its methods answer wrong
 *   (`keys()` not an array of ids, `getString` not a string) or throw something other
 *   than a `TvfError` (the error is the `cause`).
 */
export function describeTvf(tvf: Tvf): string {
  try {
    return describe(tvf, 0, { fields: 0 });
  } catch (error) {
    if (TvfError.is(error)) throw error;
    throw new TvfError('TypeMismatch', `describeTvf: the record (${typeName(tvf)}) is not a usable Tvf`, { cause: error });
  }
}

function describe(tvf: Tvf, depth: number, seen: { fields: number }): string {
  const ids: unknown = tvf.keys();
  if (!Array.isArray(ids)) throw notUsable(`its keys() returned ${typeName(ids)}, not an array`);
  let out = '{';
  for (let i = 0; i < ids.length; i++) {
    const id: unknown = ids[i];
    if (!isFieldId(id)) throw notUsable(`its keys() listed ${numberOrType(id)}, not a field id`);
    seen.fields += 1;
    out += (i === 0 ? '' : ', ') + id + ': ' + describeField(tvf, id, depth, seen);
  }
  return out + '}';
}

function notUsable(why: string): TvfError {
  return new TvfError('TypeMismatch', `describeTvf: the record is not a usable Tvf: ${why}`);
}

function describeField(tvf: Tvf, id: number, depth: number, seen: { fields: number }): string {
  const text: unknown = tvf.getString(id);
  if (typeof text !== 'string') throw notUsable(`its getString(${id}) returned ${typeName(text)}, not a string`);
  switch (hasKinds(tvf) ? tvf.kindOf(id) : 'text') {
    case 'text':
    case 'string':
      return JSON.stringify(text);
    case 'bytes':
      return '<' + text + '>';
    case 'byte':
      return '0x' + text;
    case 'buffer':
      if (depth >= DEFAULT_TVF_READ_LIMITS.maxDepth || seen.fields > MAX_OPENED_FIELDS) return JSON.stringify(text);
      try {
        return describe(tvf.getBuffer(id), depth + 1, seen);
      } catch (error) {
        if (!TvfError.is(error)) throw error;
        return JSON.stringify(text); // too deep to open: its text is still worth seeing
      }
    default:
      return text;
  }
}
