/**
 * A look-alike of `SimpleStringTvf` (its prototype, not its brand) is a foreign record:
 * whoever writes a record out as text copies it through `SimpleStringTvf.own`, so what goes
 * on the wire or into a body is the text of the fields it answers, never what its own
 * `serialize` says.
 */
import { describe, expect, it } from 'vitest';
import { BodyCodec } from '../../src/processors/http/body-codec.js';
import { encodeRecord } from '../../src/transport/wire.js';
import { SimpleStringTvf } from '../../src/tvf/simple-string-tvf.js';
import type { Tvf } from '../../src/tvf/tvf.js';

/** A record with field 1 = 'a' and field 2 = 7, and a Proxy of it whose `serialize` forges a text. */
function lookAlike(): { real: SimpleStringTvf; fake: Tvf } {
  const real = new SimpleStringTvf();
  real.putString(1, 'a');
  real.putUnsigned(2, 7);
  const fake = new Proxy(real, {
    get: (target, key) => {
      if (key === 'serialize') return () => '1;forged;9;admin;';
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { real, fake };
}

describe('a look-alike SimpleStringTvf', () => {
  it('passes instanceof but not the brand check', () => {
    const { fake } = lookAlike();
    expect(fake).toBeInstanceOf(SimpleStringTvf);
    expect(SimpleStringTvf.isInstance(fake)).toBe(false);
  });

  it('SimpleStringTvf.own gives a branded record itself and a copy of anything else', () => {
    const { real, fake } = lookAlike();
    expect(SimpleStringTvf.own(real)).toBe(real);
    const copy = SimpleStringTvf.own(fake);
    expect(SimpleStringTvf.isInstance(copy)).toBe(true);
    expect(copy.serialize()).toBe(real.serialize());
  });

  it('goes on the NATS wire as the text of its fields, not its forged serialize', () => {
    const { real, fake } = lookAlike();
    expect(Buffer.from(encodeRecord(fake)).toString('utf8')).toBe(real.serialize());
  });

  it('on the class prototype, with a forged serialize of its own, is refused with a TvfError, not sent', () => {
    const forged = Object.assign(Object.create(SimpleStringTvf.prototype) as SimpleStringTvf, { serialize: () => '1;forged;' });
    expect(forged).toBeInstanceOf(SimpleStringTvf);
    expect(() => encodeRecord(forged)).toThrow(expect.objectContaining({ name: 'TvfError', kind: 'TypeMismatch' }));
  });

  it('goes into a TVF body as the text of its fields, not its forged serialize', () => {
    const { real, fake } = lookAlike();
    expect(new BodyCodec().encode('tvf', fake)).toBe(real.serialize());
  });
});
