/**
 * The request frame (wire.ts): what `encodeRequest` writes, `readRequestFrame` reads back
 * (the remaining time, the origin, and the record's exact text), whatever the record's
 * fields and the origin's characters; and any bytes at all (a frame cut anywhere, another
 * version, garbage) read as a frame, "no frame" or a reason, never a throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimpleStringTvf } from '../../src/index.js';
import { encodeRequest, oneLine, readRequestFrame, REQUEST_FRAME_VERSION } from '../../src/transport/wire.js';

/** Runs of each property: the CI default, or `PROSA_PROPERTY_RUNS`. */
const RUNS = Number(process.env.PROSA_PROPERTY_RUNS ?? 60);

const text = fc.string({ unit: fc.oneof(fc.constantFrom('a', ';', '\n', '\r', ' ', '/', 'é', '漢', '😀', '\u0000'), fc.string({ unit: 'grapheme', maxLength: 1 })) });
const record = fc.dictionary(fc.integer({ min: 1, max: 1_000 }).map(String), text, { maxKeys: 6 }).map((fields) => {
  const tvf = new SimpleStringTvf();
  for (const [id, value] of Object.entries(fields)) tvf.putString(Number(id), value);
  return tvf;
});
/** An origin as the outgoing side writes it: one line. */
const origin = fc.tuple(text, text).map(([instance, processor]) => oneLine(`${instance}/${processor}`)).filter((o) => Buffer.byteLength(o) < 900);
const timeoutMs = fc.integer({ min: 1, max: 2 ** 31 });

describe('request frame', () => {
  it('reads back what it wrote: timeout, origin and the very record text', () => {
    fc.assert(
      fc.property(record, timeoutMs, origin, (tvf, timeout, from) => {
        const frame = readRequestFrame(encodeRequest(tvf, timeout, from));
        if (frame === undefined || typeof frame === 'string') throw new Error(`not read back: ${String(frame)}`);
        expect(frame.timeoutMs).toBe(timeout);
        expect(frame.origin).toBe(from);
        expect(Buffer.from(frame.body).toString('utf8')).toBe(tvf.serialize());
        expect(SimpleStringTvf.fromUtf8(frame.body).equals(tvf)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('reads each origin as its own, in any sequence of origins alike or differing by one byte', () => {
    const sameLength = fc.tuple(fc.stringMatching(/^[a-z]{1,12}$/), fc.nat(), fc.integer({ min: 0x61, max: 0x7a })).map(([base, at, byte]) => {
      const bytes = Buffer.from(base);
      bytes[at % bytes.length] = byte;
      return [base, bytes.toString('latin1')] as const;
    });
    fc.assert(
      fc.property(sameLength, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), ([one, other], picks) => {
        const tvf = new SimpleStringTvf();
        for (const pick of picks) {
          const from = pick ? one : other;
          const frame = readRequestFrame(encodeRequest(tvf, 5, from));
          expect(typeof frame === 'object' && frame.origin).toBe(from);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('reads a TVF text alone (the header form) as no frame', () => {
    fc.assert(
      fc.property(record, (tvf) => {
        expect(readRequestFrame(tvf.toUtf8())).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on hostile bytes: a frame cut or changed anywhere, another version, garbage', () => {
    const framed = fc
      .tuple(record, timeoutMs, origin, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }))
      .map(([tvf, timeout, from, cut, at, byte]) => {
        const bytes = Buffer.from(encodeRequest(tvf, timeout, from));
        if (bytes.length > 0) bytes[at % bytes.length] = byte;
        return bytes.subarray(0, cut % (bytes.length + 1));
      });
    const versioned = fc
      .tuple(fc.stringMatching(/^[0-9]{0,20}$/), fc.string(), fc.uint8Array({ maxLength: 40 }))
      .map(([version, rest, tail]) => Buffer.concat([Buffer.from(`prosa${version}${rest}`), tail]));
    fc.assert(
      fc.property(fc.oneof(framed, versioned, fc.uint8Array({ maxLength: 2_000 })), (bytes) => {
        // a view into a larger buffer, as the NATS client hands payloads over
        const host = new Uint8Array(bytes.length + 8);
        host.set(bytes, 4);
        const frame = readRequestFrame(host.subarray(4, 4 + bytes.length));
        if (frame === undefined) expect(Buffer.from(bytes.subarray(0, 5)).toString('latin1')).not.toBe('prosa');
        else if (typeof frame === 'string') expect(frame).toMatch(/^the request frame/);
        else {
          expect(Buffer.from(bytes.subarray(0, 7)).toString('latin1')).toBe(`prosa${REQUEST_FRAME_VERSION} `);
          expect(Number.isSafeInteger(frame.timeoutMs) && frame.timeoutMs >= 0).toBe(true);
          expect(frame.origin).not.toContain('\n');
          expect(frame.body.length).toBeLessThan(bytes.length);
        }
      }),
      { numRuns: RUNS * 5 },
    );
  });
});
