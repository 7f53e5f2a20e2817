import { describe, expect, it } from 'vitest';
import { isTvf, SimpleStringTvf, type Tvf } from '../../src/index.js';
import { TVF_METHODS } from '../../src/tvf/is-tvf.js';
import { HOSTILE_VALUES } from '../support/hostile.js';

/** A Tvf of another implementation: every method delegates to a SimpleStringTvf. */
function foreignTvf(omit?: keyof Tvf): Record<string, unknown> {
  const inner = new SimpleStringTvf();
  const out: Record<string, unknown> = {};
  for (const name of TVF_METHODS) {
    if (name !== omit) out[name] = (...args: unknown[]) => (inner[name] as (...a: unknown[]) => unknown)(...args);
  }
  return out;
}

describe('isTvf', () => {
  it('accepts a SimpleStringTvf and any other implementation of the whole interface', () => {
    expect(isTvf(new SimpleStringTvf())).toBe(true);
    expect(isTvf(SimpleStringTvf.deserialize('1;2;ab;'))).toBe(true);
    expect(isTvf(foreignTvf())).toBe(true);
  });

  it.each(TVF_METHODS.map((name) => [name]))('refuses an object that lacks %s', (name) => {
    expect(isTvf(foreignTvf(name))).toBe(false);
  });

  it.each(HOSTILE_VALUES.map((h) => [h.name, h] as const))('refuses %s, without throwing', (_name, hostile) => {
    expect(isTvf(hostile.make())).toBe(false);
  });

  it('refuses a record with an own then (a promise would call it), or one whose then getter throws', () => {
    expect(isTvf(Object.assign(new SimpleStringTvf(), { then: () => undefined }))).toBe(false);
    expect(isTvf(Object.defineProperty(new SimpleStringTvf(), 'then', { get: () => { throw new Error('then getter'); } }))).toBe(false);
    expect(isTvf(Object.assign(foreignTvf(), { then: () => undefined }))).toBe(false);
  });

  it('refuses another implementation whose method is replaced by a non-function', () => {
    expect(isTvf(Object.assign(foreignTvf(), { len: 3 }))).toBe(false);
  });
});
