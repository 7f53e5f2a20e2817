import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { locateJsonFault } from '../../src/tvf/json-syntax.js';

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** JSON texts, then damaged: a character dropped, doubled or replaced, or the text cut. */
const damagedJson = fc
  .tuple(fc.json({ maxDepth: 4 }), fc.nat(), fc.constantFrom('drop', 'double', 'replace', 'cut'), fc.string({ minLength: 1, maxLength: 1 }))
  .map(([text, at, how, char]) => {
    if (text.length === 0) return text;
    const i = at % text.length;
    switch (how) {
      case 'drop':
        return text.slice(0, i) + text.slice(i + 1);
      case 'double':
        return text.slice(0, i + 1) + text.slice(i);
      case 'replace':
        return text.slice(0, i) + char + text.slice(i + 1);
      case 'cut':
        return text.slice(0, i);
    }
  });

const jsonAlphabet = fc.string({ unit: fc.constantFrom(...'{}[]:,"\\ \t\n\r0123456789-+.eEtruefalsn/bu'.split('')), maxLength: 40 });

describe('locateJsonFault agrees with JSON.parse', () => {
  it('finds no fault exactly when JSON.parse accepts the text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json({ maxDepth: 4 }), damagedJson, jsonAlphabet, fc.string()), (text) => {
        const fault = locateJsonFault(text);
        expect(fault === undefined).toBe(parses(text));
        if (fault !== undefined) {
          expect(fault.index).toBeGreaterThanOrEqual(0);
          expect(fault.index).toBeLessThanOrEqual(text.length);
          expect(fault.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('the text before the fault is sound: cut there, it is complete or merely ends early', () => {
    // So the fault is the first mistake, not a later symptom of it.
    fc.assert(
      fc.property(fc.oneof(damagedJson, jsonAlphabet), (text) => {
        const fault = locateJsonFault(text);
        if (fault === undefined || fault.index === text.length) return;
        const prefix = locateJsonFault(text.slice(0, fault.index));
        if (prefix !== undefined) expect(prefix.index).toBe(fault.index);
      }),
      { numRuns: 2_000 },
    );
  });

  it.each([
    ['', 0, 'unexpected end of the text'],
    ['{"a":}', 5, 'expected a value'],
    ['{"a" 1}', 5, "expected ':' after a property name"],
    ['[1,]', 3, 'expected a value'],
    ['{"a":1,}', 7, 'expected a property name in double quotes'],
    ['[1 2]', 3, "expected ',' or ']'"],
    ['01', 1, 'unexpected text after the JSON value'],
    ['"\\x"', 2, 'bad escape character'],
    ['"\\u12g4"', 5, 'bad \\u escape'],
    ['"a\nb"', 2, 'control character in a string'],
    ['1.', 2, 'expected a digit after a decimal point'],
    ['1e+', 3, 'expected a digit in an exponent'],
    ['nul', 3, "unexpected end in 'null'"],
    ['"abc', 4, 'unterminated string'],
    ['\uFEFF{}', 0, 'expected a value'],
  ])('%j: fault at %i (%s)', (text, index, reason) => {
    expect(locateJsonFault(text)).toEqual({ index, reason });
  });

  it('walks deep nesting without recursion', () => {
    expect(locateJsonFault('['.repeat(200_000) + ']'.repeat(200_000))).toBeUndefined();
    expect(locateJsonFault('['.repeat(200_000))).toEqual({ index: 200_000, reason: 'unexpected end of the text' });
  });
});
