/**
 * Where a JSON text goes wrong. `JSON.parse` says why, but for most mistakes not where
 * (V8 quotes a piece of the text instead); a client that sent a bad body wants the offset.
 * This scanner follows RFC 8259 exactly as `JSON.parse` does and runs only after a parse
 * failed, so the hot path never pays for it. It is iterative: nesting depth costs no stack.
 * The same token rules serve `TvfDict`'s direct JSON-to-record path
 * ({@link skipJsonWhitespace}, {@link plainJsonStringEnd}, {@link jsonNumberEnd}).
 */

/** The first mistake in a JSON text. */
export interface JsonSyntaxFault {
  /** Index (UTF-16 code units) of the character at fault, or the text's length at an early end. */
  readonly index: number;
  /** What was expected or found there, in a few words. */
  readonly reason: string;
}

const enum Want {
  Value,
  ValueOrArrayEnd,
  KeyOrObjectEnd,
  Key,
  Colon,
  CommaOrEnd,
  Nothing,
}

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** The index of the first character at or after `from` that is not JSON whitespace (or the text's length). */
export function skipJsonWhitespace(text: string, from: number): number {
  let i = from;
  while (isWhitespace(text.charCodeAt(i))) i++; // NaN past the end is no whitespace
  return i;
}

/**
 * The index of the quote that closes a string whose contents start at `from`, when those
 * contents are plain: no escape and no control character, so the slice up to it is the
 * string's value as `JSON.parse` reads it. -1 for any other string, or no closing quote.
 */
export function plainJsonStringEnd(text: string, from: number): number {
  const n = text.length;
  for (let i = from; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i;
    if (c === BACKSLASH || c < 0x20) return -1;
  }
  return -1;
}

/** The index just past a JSON number starting at `from` (RFC 8259's grammar), or -1 when none starts there. */
export function jsonNumberEnd(text: string, from: number): number {
  const end = scanNumber(text, from);
  return typeof end === 'number' ? end : -1;
}

/** A fault, or the index just past a scanned token. */
type Scan = number | JsonSyntaxFault;

function fault(index: number, reason: string): JsonSyntaxFault {
  return { index, reason };
}

function scanString(text: string, start: number): Scan {
  let i = start + 1;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c < 0x20) return fault(i, 'control character in a string');
    if (c === BACKSLASH) {
      const e = text.charCodeAt(i + 1);
      if (i + 1 >= n) break;
      if (e === 0x75 /* u */) {
        for (let k = 2; k < 6; k++) {
          if (i + k >= n) return fault(n, 'unexpected end in a \\u escape');
          if (!isHex(text.charCodeAt(i + k))) return fault(i + k, 'bad \\u escape');
        }
        i += 6;
        continue;
      }
      // " \ / b f n r t
      if (e !== QUOTE && e !== BACKSLASH && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) {
        return fault(i + 1, 'bad escape character');
      }
      i += 2;
      continue;
    }
    i++;
  }
  return fault(n, 'unterminated string');
}

function scanDigits(text: string, start: number, what: string): Scan {
  let i = start;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  return i === start ? fault(start, `expected a digit ${what}`) : i;
}

function scanNumber(text: string, start: number): Scan {
  let i = start;
  if (text.charCodeAt(i) === 0x2d /* - */) i++;
  if (text.charCodeAt(i) === 0x30 /* 0 */) i++;
  else {
    const int = scanDigits(text, i, 'in a number');
    if (typeof int !== 'number') return int;
    i = int;
  }
  if (text.charCodeAt(i) === 0x2e /* . */) {
    const frac = scanDigits(text, i + 1, 'after a decimal point');
    if (typeof frac !== 'number') return frac;
    i = frac;
  }
  const e = text.charCodeAt(i);
  if (e === 0x65 || e === 0x45 /* e E */) {
    i++;
    const sign = text.charCodeAt(i);
    if (sign === 0x2b || sign === 0x2d) i++;
    const exp = scanDigits(text, i, 'in an exponent');
    if (typeof exp !== 'number') return exp;
    i = exp;
  }
  return i;
}

function scanLiteral(text: string, start: number): Scan {
  for (const word of ['true', 'false', 'null']) {
    if (text.charCodeAt(start) !== word.charCodeAt(0)) continue;
    for (let k = 1; k < word.length; k++) {
      if (start + k >= text.length) return fault(text.length, `unexpected end in '${word}'`);
      if (text.charCodeAt(start + k) !== word.charCodeAt(k)) return fault(start + k, `expected '${word}'`);
    }
    return start + word.length;
  }
  return fault(start, 'expected a value');
}

function scanScalar(text: string, i: number, c: number): Scan {
  if (c === QUOTE) return scanString(text, i);
  if (c === 0x2d || isDigit(c)) return scanNumber(text, i);
  return scanLiteral(text, i);
}

/**
 * The first syntax mistake in `text` read as JSON, or `undefined` when `JSON.parse` would
 * accept it. Runs in time linear in the text; allocates only the container stack.
 */
export function locateJsonFault(text: string): JsonSyntaxFault | undefined {
  const stack: number[] = []; // OPEN_OBJECT or OPEN_ARRAY per open container
  let want: Want = Want.Value;
  let i = 0;
  const n = text.length;
  const afterValue = (): Want => (stack.length === 0 ? Want.Nothing : Want.CommaOrEnd);
  for (;;) {
    while (i < n && isWhitespace(text.charCodeAt(i))) i++;
    if (i >= n) return want === Want.Nothing ? undefined : fault(n, 'unexpected end of the text');
    const c = text.charCodeAt(i);
    if ((want === Want.ValueOrArrayEnd && c === CLOSE_ARRAY) || (want === Want.KeyOrObjectEnd && c === CLOSE_OBJECT)) {
      stack.pop();
      i++;
      want = afterValue();
      continue;
    }
    switch (want) {
      case Want.Value:
      case Want.ValueOrArrayEnd: {
        if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
          stack.push(c);
          i++;
          want = c === OPEN_OBJECT ? Want.KeyOrObjectEnd : Want.ValueOrArrayEnd;
          break;
        }
        const end = scanScalar(text, i, c);
        if (typeof end !== 'number') return end;
        i = end;
        want = afterValue();
        break;
      }
      case Want.Key:
      case Want.KeyOrObjectEnd: {
        if (c !== QUOTE) return fault(i, 'expected a property name in double quotes');
        const end = scanString(text, i);
        if (typeof end !== 'number') return end;
        i = end;
        want = Want.Colon;
        break;
      }
      case Want.Colon:
        if (c !== 0x3a) return fault(i, "expected ':' after a property name");
        i++;
        want = Want.Value;
        break;
      case Want.CommaOrEnd: {
        const open = stack[stack.length - 1];
        const close = open === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
        if (c === 0x2c /* , */) {
          i++;
          want = open === OPEN_OBJECT ? Want.Key : Want.Value;
        } else if (c === close) {
          stack.pop();
          i++;
          want = afterValue();
        } else {
          return fault(i, open === OPEN_OBJECT ? "expected ',' or '}'" : "expected ',' or ']'");
        }
        break;
      }
      case Want.Nothing:
        return fault(i, 'unexpected text after the JSON value');
    }
  }
}
