/**
 * Property: whatever the record, wherever it sits in a log call, and whichever service's
 * rules apply, a value of a field declared sensitive never reaches the log output.
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimpleStringTvf } from '../../src/index.js';
import { createLogger, PayloadMasks, type LogFormat, type SensitiveFields } from '../../src/observability/index.js';

/** A secret no other part of a log line can spell: a marker and 8+ letters. */
const secret = fc.stringMatching(/^[a-z]{8,16}$/).map((s) => `SECRET${s}`);

interface Plan {
  /** Ids of the top-level sensitive fields, and their secrets. */
  top: Array<{ id: number; value: string; kind: 'string' | 'bytes' | 'unsigned' }>;
  /** Id of a nested buffer and its sensitive inner fields. */
  nested: { id: number; inner: Array<{ id: number; value: string }> };
  /** Plain fields (not sensitive). */
  plain: Array<{ id: number; value: string }>;
  shape: 'payload' | 'service' | 'bare' | 'array' | 'deep';
  format: LogFormat;
  declared: 'own' | 'other';
}

const plan: fc.Arbitrary<Plan> = fc
  .record({
    top: fc.array(fc.record({ value: secret, kind: fc.constantFrom('string' as const, 'bytes' as const, 'unsigned' as const) }), { minLength: 1, maxLength: 4 }),
    inner: fc.array(secret, { minLength: 1, maxLength: 3 }),
    plain: fc.array(fc.stringMatching(/^[a-z]{1,6}$/), { maxLength: 4 }),
    shape: fc.constantFrom('payload' as const, 'service' as const, 'bare' as const, 'array' as const, 'deep' as const),
    format: fc.constantFrom<LogFormat>('json', 'pretty'),
    declared: fc.constantFrom('own' as const, 'other' as const),
  })
  .map(({ top, inner, plain, shape, format, declared }) => ({
    top: top.map((t, i) => ({ ...t, id: 2 + i * 3 })),
    nested: { id: 100, inner: inner.map((value, i) => ({ id: 200 + i, value })) },
    plain: plain.map((value, i) => ({ id: 1000 + i, value })),
    shape,
    format,
    declared,
  }));

function build(p: Plan): SimpleStringTvf {
  const tvf = new SimpleStringTvf();
  for (const f of p.top) {
    if (f.kind === 'string') tvf.putString(f.id, f.value);
    else if (f.kind === 'bytes') tvf.putBytes(f.id, new TextEncoder().encode(f.value));
    else tvf.putUnsigned(f.id, BigInt('0x' + Buffer.from(f.value).toString('hex').slice(0, 12)));
  }
  const inner = new SimpleStringTvf();
  for (const f of p.nested.inner) inner.putString(f.id, f.value);
  inner.putString(299, 'visible');
  tvf.putBuffer(p.nested.id, inner);
  for (const f of p.plain) tvf.putString(f.id, f.value);
  return tvf;
}

/** Every text a secret may show as: itself, its hex (bytes), its decimal (unsigned). */
function forms(p: Plan): string[] {
  const out: string[] = [];
  for (const f of p.top) {
    out.push(f.value);
    if (f.kind === 'bytes') out.push(Buffer.from(f.value).toString('hex'));
    if (f.kind === 'unsigned') out.push(BigInt('0x' + Buffer.from(f.value).toString('hex').slice(0, 12)).toString());
  }
  for (const f of p.nested.inner) out.push(f.value);
  return out;
}

describe('log masking', () => {
  it('never writes a sensitive value, whatever the record, its place in the call, the service or the format', () => {
    fc.assert(
      fc.property(plan, (p) => {
        const sensitive: SensitiveFields = [...p.top.map((f) => f.id), { [p.nested.id]: p.nested.inner.map((f) => f.id) }];
        // 'other': the record's service is undeclared, so every declared field is masked.
        const masks = new PayloadMasks(p.declared === 'own' ? { PAY: sensitive, OTHER: [999] } : { ELSEWHERE: sensitive });
        let out = '';
        const destination = Object.assign(
          new Writable({
            write(chunk: Buffer, _encoding, done) {
              out += chunk.toString('utf8');
              done();
            },
          }),
          { isTTY: false },
        );
        const logger = createLogger({ name: 'prop', level: 'trace', format: p.format, masks, destination });
        const tvf = build(p);
        switch (p.shape) {
          case 'payload':
            logger.info({ payload: tvf }, 'm');
            break;
          case 'service':
            logger.info({ service: 'PAY', request: tvf, reply: tvf }, 'm');
            break;
          case 'bare':
            logger.info(tvf);
            break;
          case 'array':
            logger.info({ service: 'PAY', batch: [tvf, { nested: tvf }] }, 'm');
            break;
          case 'deep':
            logger.child({ proc: 'x' }).info({ a: { b: { service: 'PAY', c: tvf } } }, 'm');
            break;
        }
        for (const form of forms(p)) expect(out).not.toContain(form);
        expect(out).toContain('visible'); // the record was logged, not dropped
      }),
      { numRuns: 300 },
    );
  });
});
