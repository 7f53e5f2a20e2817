import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { DestinationStream } from 'pino';
import { SimpleStringTvf } from '../../src/index.js';
import {
  createLogger,
  MaskedPayload,
  maskRulesOf,
  mergeMaskRules,
  PayloadMasks,
  processorLogger,
  type LogFormat,
} from '../../src/observability/index.js';

const PAN = '4970101234567890';
const CVV = '737';

function payment(): SimpleStringTvf {
  const tvf = new SimpleStringTvf();
  tvf.putString(1, 'purchase');
  tvf.putString(2, PAN);
  tvf.putUnsigned(4, 12_345);
  const card = new SimpleStringTvf();
  card.putString(201, CVV);
  card.putString(202, 'VISA');
  tvf.putBuffer(10, card);
  return tvf;
}

function memory(isTTY = false): { destination: DestinationStream & { isTTY?: boolean }; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { destination: Object.assign(stream, { isTTY }), text: () => chunks.join('') };
}

const masks = new PayloadMasks({ PAYMENT: [2, { 10: [201] }], REFUND: [4], STATUS: [] });

describe('sensitive fields', () => {
  it('turn the settings form into mask rules, a whole field winning over its inner rules', () => {
    expect(maskRulesOf([2, 35, { 10: [201, { 5: [1] }] }])).toEqual({ 2: true, 35: true, 10: { 201: true, 5: { 1: true } } });
    expect(maskRulesOf([{ 10: [201] }, 10])).toEqual({ 10: true });
    expect(mergeMaskRules({ 1: true, 10: { 201: true } }, { 10: { 202: true }, 3: { 1: true } })).toEqual({
      1: true,
      10: { 201: true, 202: true },
      3: { 1: true },
    });
    expect(mergeMaskRules({ 10: { 201: true } }, { 10: true })).toEqual({ 10: true });
  });
});

describe('PayloadMasks', () => {
  it("masks a service's record with exactly that service's fields", () => {
    expect(masks.mask('PAYMENT', payment()).text).toBe(
      `{1: "purchase", 2: "${'*'.repeat(PAN.length)}", 4: 12345, 10: {201: "***", 202: "VISA"}}`,
    );
    expect(masks.mask('REFUND', payment()).text).toBe(`{1: "purchase", 2: "${PAN}", 10: {201: "${CVV}", 202: "VISA"}}`);
  });

  it('leaves the records of a service declared without sensitive fields as they are', () => {
    expect(masks.mask('STATUS', payment()).text).toContain(PAN);
  });

  it('masks a record of an undeclared or unnamed service with every declared field', () => {
    for (const service of [undefined, 'OTHER']) {
      const text = masks.mask(service, payment()).text;
      expect(text).not.toContain(PAN);
      expect(text).not.toContain(CVV);
      expect(text).not.toContain('12345');
      expect(text).toContain('VISA');
    }
  });

  it('does not change the record, and never throws', () => {
    const tvf = payment();
    masks.mask('PAYMENT', tvf);
    expect(tvf.getString(2)).toBe(PAN);
    const broken = { keys: () => [1], getString: () => { throw new Error('no'); }, clone: () => broken };
    expect(masks.mask('PAYMENT', broken as never).text).toBe('<unreadable record>');
  });
});

describe('createLogger', () => {
  it('masks records under any key, nested in objects and arrays, and beside a service', () => {
    const out = memory();
    const logger = createLogger({ name: 'inst', masks, destination: out.destination });
    logger.info({ service: 'PAYMENT', payload: payment() }, 'request');
    logger.info({ request: payment(), replies: [payment()], deep: { service: 'PAYMENT', inner: { tvf: payment() } } }, 'several');
    logger.info(payment());
    logger.info({ payload: masks.mask('PAYMENT', payment()) }, 'already masked');
    const lines = out.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.text()).not.toContain(PAN);
    expect(out.text()).not.toContain(CVV);
    expect(lines[0]).toMatchObject({ name: 'inst', service: 'PAYMENT', msg: 'request' });
    expect(lines[0]!['payload']).toBe(masks.mask('PAYMENT', payment()).text);
    expect((lines[1]!['replies'] as string[])[0]).toBe(masks.mask(undefined, payment()).text);
    expect(((lines[1]!['deep'] as Record<string, Record<string, string>>)['inner']!)['tvf']).toContain('4: 12345');
    expect(lines[2]!['payload']).toBe(masks.mask(undefined, payment()).text);
    expect(lines[3]!['payload']).toBe(masks.mask('PAYMENT', payment()).text);
  });

  it('masks what child loggers log, and does not change the objects logged', () => {
    const out = memory();
    const logger = createLogger({ name: 'inst', masks, destination: out.destination });
    const tvf = payment();
    const object = { service: 'PAYMENT', payload: tvf, list: [tvf] };
    const list = object.list;
    logger.child({ proc: 'p' }).child({ run: 1 }).info(object, 'x');
    expect(object.payload).toBe(tvf);
    expect(object.list).toBe(list);
    expect(list[0]).toBe(tvf);
    expect(out.text()).not.toContain(PAN);
    expect(out.text()).toContain('"proc":"p","run":1');
  });

  it.each<[LogFormat, boolean, boolean]>([
    ['json', true, false],
    ['pretty', false, true],
    ['auto', false, false],
    ['auto', true, true],
  ])('format %s on a terminal=%s writes pretty=%s, masked either way', (format, isTTY, pretty) => {
    const out = memory(isTTY);
    const logger = createLogger({ name: 'inst', masks, format, destination: out.destination });
    logger.info({ service: 'PAYMENT', payload: payment() }, 'hello');
    const text = out.text();
    expect(text).toContain('hello');
    expect(text).not.toContain(PAN);
    expect(text).toContain('*'.repeat(PAN.length));
    expect(text.trimStart().startsWith('{')).toBe(!pretty);
  });

  it('gives each processor a child with proc bound, at its own level', () => {
    const out = memory();
    const logger = createLogger({ name: 'inst', level: 'info', destination: out.destination });
    const chatty = processorLogger(logger, 'chatty', 'debug');
    const plain = processorLogger(logger, 'plain');
    chatty.debug('c');
    plain.debug('p');
    plain.info('i');
    const lines = out.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => `${l['proc']}:${l['msg']}`)).toEqual(['chatty:c', 'plain:i']);
    expect(plain.level).toBe('info');
    expect(chatty.level).toBe('debug');
  });

  it('renders a MaskedPayload as its text', () => {
    expect(JSON.stringify({ p: new MaskedPayload('{1: "x"}') })).toBe('{"p":"{1: \\"x\\"}"}');
  });
});
