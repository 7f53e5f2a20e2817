/**
 * Reads the text form of one record, `ID;LEN;VALUE;` repeated, into a {@link FieldTable}.
 *
 * One level only: the text does not say which values are nested records, so a nested
 * buffer stays a value text until `getBuffer` reads it (with the same limits, one level
 * deeper). The loop always moves forward, so reading ends in time linear in the text and
 * never recurses.
 */
import { TvfError } from './error.js';
import { FieldTable } from './field-table.js';
import type { TvfReadLimits } from './read-limits.js';
import { advanceUtf8 } from './utf8.js';

const SEMICOLON = 59;
const PLUS = 43;
const ZERO = 48;
const NINE = 57;

function malformed(message: string, offset: number, id?: number): TvfError {
  return new TvfError('SerializationError', `at byte ${offset}: ${message}`, { offset, id });
}

/** Up to 24 characters of `text` from `from`, for a message about a bad number. */
function excerpt(text: string, from: number, to: number): string {
  return to - from > 24 ? `${text.slice(from, from + 24)}...` : text.slice(from, to);
}

/**
 * Reads `text` as the fields of one record. Ids may come in any order (ProSA writes hash
 * order); a repeated id keeps its last value, as ProSA does.
 *
 * `size`, when the caller knows it, is the text's exact size in UTF-8 bytes (a text just
 * decoded from that many bytes, or a value whose size its record holds): it saves a
 * native pass over the text. It must be exact: an all-ASCII size for a wider text would
 * slice values by code units.
 * @throws TvfError `SerializationError`, whose message says what is wrong and at which
 *   byte of the UTF-8 text (`offset`), when the text is malformed or larger than
 *   `limits.maxBytes`.
 */
export function readFields(text: string, limits: TvfReadLimits, size = -1): FieldTable {
  const n = text.length;
  // UTF-8 never takes fewer bytes than UTF-16 code units: refuse a huge text before scanning it.
  if (n > limits.maxBytes) throw malformed(`text of at least ${n} bytes exceeds maxBytes ${limits.maxBytes}`, 0);
  const table = new FieldTable();
  if (n === 0) return table;
  // The exact size (one native pass when not given; a lone surrogate counts as the 3 bytes
  // of U+FFFD, and is refused where a value holds it) tells whether the text is all ASCII.
  const bytes = size >= n ? size : Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) throw malformed(`text of ${bytes} bytes exceeds maxBytes ${limits.maxBytes}`, 0);
  // In an all-ASCII text a value is sliced by its length at once; otherwise each value is
  // walked over its own code units (an ASCII run in a tight loop, then character by
  // character), so the work is the text's length whatever the mix of scripts.
  const ascii = bytes === n;
  let p = 0; // code unit index
  let byte = 0; // byte offset of p
  while (p < n) {
    // ID
    const idByte = byte;
    let c = text.charCodeAt(p);
    let q = c === PLUS ? p + 1 : p;
    let id = 0;
    const idDigits = q;
    c = text.charCodeAt(q);
    while (c >= ZERO && c <= NINE) {
      id = id * 10 + (c - ZERO);
      c = text.charCodeAt(++q);
    }
    if (q === idDigits) throw malformed('field id is not a decimal number', idByte);
    if (id > Number.MAX_SAFE_INTEGER)
      throw malformed(`field id ${excerpt(text, p, q)} is larger than 2^53-1`, idByte);
    byte += q - p;
    if (q === n) throw malformed(`text ends after field id ${id}, expected ';'`, byte, id);
    if (c !== SEMICOLON) throw malformed(`field id is not a decimal number: unexpected character after ${id}`, byte, id);
    p = q + 1;
    byte += 1;

    // LEN
    const lenByte = byte;
    if (p === n) throw malformed(`no length after field id ${id}`, lenByte, id);
    c = text.charCodeAt(p);
    q = c === PLUS ? p + 1 : p;
    let len = 0;
    const lenDigits = q;
    c = text.charCodeAt(q);
    while (c >= ZERO && c <= NINE) {
      len = len * 10 + (c - ZERO);
      c = text.charCodeAt(++q);
    }
    if (q === lenDigits) throw malformed(`length of field ${id} is not a non-negative decimal number`, lenByte, id);
    byte += q - p;
    if (q === n) throw malformed(`text ends after the length of field ${id}, expected ';'`, byte, id);
    if (c !== SEMICOLON)
      throw malformed(`length of field ${id} is not a non-negative decimal number: unexpected character`, byte, id);
    p = q + 1;
    byte += 1;

    // VALUE
    const left = bytes - byte;
    if (len > left)
      throw malformed(
        `value of field ${id} runs past the end of the text (length ${excerpt(text, lenDigits, q)} given at byte ${lenByte}, ${left} bytes left)`,
        byte,
        id,
      );
    let end = p + len;
    if (!ascii) {
      end = advanceUtf8(text, p, len);
      if (end < 0) {
        if (end === -1)
          throw malformed(`value of field ${id} runs past the end of the text (length ${len} given at byte ${lenByte})`, byte, id);
        if (end === -2)
          throw malformed(`length ${len} of field ${id} (given at byte ${lenByte}) ends inside a character`, byte, id);
        throw malformed(`value of field ${id} holds a lone UTF-16 surrogate, which has no UTF-8 form`, byte, id);
      }
    }
    const value = text.slice(p, end);
    p = end;
    byte += len;

    // terminator
    if (p === n) throw malformed(`text ends after the value of field ${id}, expected ';'`, byte, id);
    if (text.charCodeAt(p) !== SEMICOLON) throw malformed(`bad field terminator after field ${id}, expected ';'`, byte, id);
    p += 1;
    byte += 1;
    table.set(id, value, len, 'text');
  }
  table.keepSource(text);
  return table;
}
