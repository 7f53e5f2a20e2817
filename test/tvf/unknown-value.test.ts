import { describe, expect, it } from 'vitest';
import { ProcessorError, ServiceError } from '../../src/index.js';
import { codeOf, MAX_MESSAGE_LENGTH, messageOf, safeError, ThrownValue } from '../../src/tvf/unknown-value.js';
import { HOSTILE_VALUES } from '../support/hostile.js';
import { captureLogs } from '../support/log-capture.js';

/** A pino logger at `trace` writing into memory, so its serializers run on every call. */
function memoryLogger() {
  const { logger, raw } = captureLogs({ level: 'trace' });
  return { logger, lines: raw };
}

describe('messageOf', () => {
  it.each(HOSTILE_VALUES.map((h) => [h.name, h] as const))('reads %s without throwing, as a short non-empty string', (_name, hostile) => {
    const message = messageOf(hostile.make());
    expect(typeof message).toBe('string');
    expect(message.length).toBeGreaterThan(0);
    expect(message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH + 1);
  });

  class Account {}
  it.each([
    ['an Error', new Error('boom'), 'boom'],
    ['an Error without message', new TypeError(), 'TypeError'],
    ['a string', 'plain words', 'plain words'],
    ['an empty string', '', 'an empty string'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a number', 42, '42'],
    ['a bigint', 10n, '10n'],
    ['a symbol', Symbol('tag'), 'Symbol(tag)'],
    ['a named function', function named() {}, 'a function named'],
    ['a null-prototype object', Object.create(null), 'a null-prototype object'],
    ['a Proxy', new Proxy({}, {}), 'a Proxy'],
    ['a revoked Proxy', (() => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy; })(), 'a Proxy'],
    ['an instance of a class', new Account(), 'an instance of Account'],
    ['a plain object, never its content', { password: 'hunter2' }, 'an object'],
    ['an object with a message', { message: 'said so' }, 'said so'],
    ['an array', [1, 2], 'an array of 2'],
    ['an object whose toString throws', { toString: () => { throw new Error('no'); } }, 'an object'],
    ['an object with its own toString', { toString: () => 'custom text' }, 'custom text'],
  ])('%s', (_what, value, expected) => {
    expect(messageOf(value)).toBe(expected);
  });

  it('cuts a long message, never inside a surrogate pair', () => {
    expect(messageOf('x'.repeat(5_000))).toBe(`${'x'.repeat(MAX_MESSAGE_LENGTH)}…`);
    const pairs = 'a' + '😀'.repeat(MAX_MESSAGE_LENGTH);
    const cut = messageOf(pairs);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/); // no high surrogate left alone
  });
});

describe('codeOf', () => {
  it.each(HOSTILE_VALUES.map((h) => [h.name, h] as const))('reads %s without throwing', (_name, hostile) => {
    const code = codeOf(hostile.make());
    expect(code === undefined || (typeof code === 'string' && code.length > 0)).toBe(true);
  });

  it.each<[string, () => unknown, string | undefined]>([
    ['a Node system error', () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    ['a plain object with a code', () => ({ code: 'AUTHORIZATION_VIOLATION' }), 'AUTHORIZATION_VIOLATION'],
    ['an error without code', () => new Error('boom'), undefined],
    ['a numeric code', () => ({ code: 503 }), undefined],
    ['an empty code', () => ({ code: '' }), undefined],
    ['a code getter that throws', () => Object.defineProperty({}, 'code', { get: () => { throw new Error('no'); } }), undefined],
    ['a Proxy, whose trap is never run', () => new Proxy({ code: 'X' }, { get: () => { throw new Error('trap'); } }), undefined],
    ['a string', () => 'ECONNREFUSED', undefined],
    ['null', () => null, undefined],
  ])('reads the code of %s', (_name, make, code) => {
    expect(codeOf(make())).toBe(code);
  });
});

describe('safeError', () => {
  it.each([
    ['an Error', new Error('plain')],
    ['an Error with a cause', new Error('outer', { cause: new Error('inner') })],
    ['a ServiceError', new ServiceError('protocol', 'S', 'p', 'detail')],
    ['a ProcessorError', new ProcessorError('fatal', { recoverable: false })],
    ['an Error with primitive fields', Object.assign(new Error('sys'), { code: 'ECONNRESET', errno: -104 })],
    ['an Error with a cyclic cause', (() => { const a = new Error('a'); const b = new Error('b', { cause: a }); (a as { cause?: unknown }).cause = b; return a; })()],
  ])('returns a well-formed error as it is: %s', (_what, error) => {
    expect(safeError(error)).toBe(error);
  });

  it.each(HOSTILE_VALUES.map((h) => [h.name, h] as const))('makes %s an Error pino logs without throwing', (_name, hostile) => {
    const value = hostile.make();
    const error = safeError(value);
    expect(error).toBeInstanceOf(Error);
    expect(typeof error.message).toBe('string');
    const { logger, lines } = memoryLogger();
    logger.error({ err: error }, 'logged');
    const line = JSON.parse(lines.at(-1)!) as { err: { message: unknown } };
    expect(typeof line.err.message).toBe('string');
  });

  it('is needed: pino itself throws on some of those values given raw', () => {
    const { logger } = memoryLogger();
    const throwing = ['frozen Error', 'Error whose message getter throws', 'Proxy whose traps throw', 'Error whose cause getter throws'];
    for (const name of throwing) {
      const hostile = HOSTILE_VALUES.find((h) => h.name === name)!;
      expect(() => logger.error({ err: hostile.make() }, 'raw'), name).toThrow();
    }
  });

  it('keeps what it can read of a value that is not well-formed: stack, primitive fields, cause', () => {
    const frozen = Object.freeze(Object.assign(new Error('frozen', { cause: new Error('why') }), { code: 'E_FROZEN', nested: { a: 1 } }));
    const safe = safeError(frozen);
    expect(safe).toBeInstanceOf(ThrownValue);
    expect(safe.message).toBe('frozen');
    expect(safe.stack).toBe(frozen.stack);
    expect((safe as unknown as { code: string }).code).toBe('E_FROZEN');
    expect('nested' in safe).toBe(false);
    expect((safe.cause as Error).message).toBe('why');
  });
});

describe('safeError: fields', () => {
  it('returns an error with plain-data fields as it is, and describes one whose field is a Proxy, a getter or frozen data', () => {
    const withIssues = Object.assign(new Error('settings refused'), { issues: [{ path: ['a', 0], message: 'bad' }], meta: null });
    expect(safeError(withIssues)).toBe(withIssues);
    const cases = [
      Object.assign(new Error('proxy field'), { details: new Proxy({}, {}) }),
      Object.assign(new Error('frozen field'), { details: Object.freeze({ message: 'frozen' }) }),
      Object.assign(new Error('getter field'), { details: Object.defineProperty({}, 'x', { get: () => 1, enumerable: true }) }),
      Object.assign(new Error('class field'), { details: new Map() }),
      Object.assign(new Error('deep field'), { details: { a: { b: { c: { d: { e: { f: 1 } } } } } } }),
    ];
    for (const error of cases) {
      const safe = safeError(error);
      expect(safe, error.message).toBeInstanceOf(ThrownValue);
      expect(safe.message).toBe(error.message);
    }
  });
});
