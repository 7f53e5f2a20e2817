/**
 * Hostile values, as an adaptor could throw, reject with, return or pass to `ctx.fail`:
 * each named, so a counterexample says what it was. Every one is made fresh by `make()`
 * (some are revoked or frozen, some count how often they are read).
 */
import fc from 'fast-check';
import { SimpleStringTvf } from '../../src/index.js';

/** One hostile value, by name. */
export interface Hostile {
  readonly name: string;
  make(): unknown;
}

const boom = (what: string) => () => {
  throw new Error(`${what} threw`);
};

/** A Proxy whose every trap throws (a Proxy of a function when `callable`). */
function trappedProxy(callable = false): object {
  const thrower = boom('a Proxy trap');
  const handler: ProxyHandler<object> = {
    get: thrower,
    has: thrower,
    set: thrower,
    ownKeys: thrower,
    getOwnPropertyDescriptor: thrower,
    getPrototypeOf: thrower,
    defineProperty: thrower,
    deleteProperty: thrower,
    isExtensible: thrower,
    preventExtensions: thrower,
    apply: thrower,
    construct: thrower,
  };
  return new Proxy(callable ? function target() {} : {}, handler);
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

function getterThrows<T extends object>(target: T, ...keys: PropertyKey[]): T {
  for (const key of keys) Object.defineProperty(target, key, { get: boom(`getter ${String(key)}`), enumerable: true, configurable: true });
  return target;
}

/** An object with every Tvf method but `len` (it only looks like a record). */
function tvfLookAlike(): object {
  const real = new SimpleStringTvf();
  const methods: Record<string, unknown> = {};
  for (const name of Object.getOwnPropertyNames(SimpleStringTvf.prototype)) {
    if (name !== 'constructor' && name !== 'len') methods[name] = () => (real as unknown as Record<string, () => unknown>)[name]!();
  }
  return methods;
}

export const HOSTILE_VALUES: readonly Hostile[] = [
  { name: 'undefined', make: () => undefined },
  { name: 'null', make: () => null },
  { name: 'NaN', make: () => Number.NaN },
  { name: 'empty string', make: () => '' },
  { name: 'lone surrogate string', make: () => 'bad \ud800 text' },
  { name: 'a 1 MB string', make: () => 'x'.repeat(1 << 20) },
  { name: 'symbol', make: () => Symbol('hostile') },
  { name: 'bigint', make: () => 12345678901234567890n },
  { name: 'function', make: () => function hostileFunction() {} },
  { name: 'function with a throwing name', make: () => getterThrows(function f() {}, 'name') },
  { name: 'null-prototype object', make: () => Object.create(null) as object },
  { name: 'null-prototype object with a message', make: () => Object.assign(Object.create(null) as object, { message: 'from nowhere' }) },
  { name: 'object whose toString throws', make: () => ({ toString: boom('toString') }) },
  { name: 'object whose Symbol.toPrimitive throws', make: () => ({ [Symbol.toPrimitive]: boom('toPrimitive') }) },
  { name: 'object whose getters throw', make: () => getterThrows({}, 'message', 'name', 'stack', 'cause', 'then', 'len', 'code') },
  { name: 'Proxy whose traps throw', make: () => trappedProxy() },
  { name: 'callable Proxy whose traps throw', make: () => trappedProxy(true) },
  { name: 'revoked Proxy', make: () => revokedProxy() },
  { name: 'Proxy of a real record', make: () => new Proxy(new SimpleStringTvf(), {}) },
  { name: 'frozen object', make: () => Object.freeze({ message: 'frozen' }) },
  { name: 'frozen Error', make: () => Object.freeze(new Error('frozen error')) },
  { name: 'Error whose message getter throws', make: () => getterThrows(new Error('hidden'), 'message') },
  { name: 'Error whose stack getter throws', make: () => getterThrows(new Error('no stack'), 'stack') },
  { name: 'Error whose cause getter throws', make: () => getterThrows(new Error('bad cause'), 'cause') },
  { name: 'Error with a non-string message', make: () => Object.assign(new Error(), { message: { nested: true } }) },
  { name: 'Error with a function cause', make: () => new Error('called cause', { cause: boom('cause function') }) },
  {
    name: 'Error with a cyclic cause',
    make: () => {
      const a = new Error('a');
      const b = new Error('b', { cause: a });
      (a as { cause?: unknown }).cause = b;
      return a;
    },
  },
  {
    name: 'Error with a Proxy cause',
    make: () => new Error('proxied cause', { cause: trappedProxy() }),
  },
  {
    name: 'Error of a class whose name getter throws',
    make: () => {
      class Nameless extends Error {
        static override get name(): string {
          throw new Error('class name threw');
        }
      }
      return new Nameless('nameless');
    },
  },
  { name: 'AggregateError of hostile errors', make: () => new AggregateError([trappedProxy(), revokedProxy(), new Error('fine')], 'many') },
  { name: 'Error with an object field', make: () => Object.assign(new Error('with field'), { details: trappedProxy() }) },
  { name: 'thenable whose then throws', make: () => ({ then: boom('then') }) },
  { name: 'thenable whose then getter throws', make: () => getterThrows({}, 'then') },
  { name: 'thenable rejecting with a Proxy', make: () => ({ then: (_ok: unknown, fail: (e: unknown) => void) => fail(trappedProxy()) }) },
  { name: 'thenable resolving with a revoked Proxy', make: () => ({ then: (ok: (v: unknown) => void) => ok(revokedProxy()) }) },
  {
    name: 'thenable calling back twice',
    make: () => ({
      then: (ok: (v: unknown) => void, fail: (e: unknown) => void) => {
        ok({ len: () => 0 });
        fail(new Error('second call'));
        ok(new SimpleStringTvf());
      },
    }),
  },
  { name: 'object with only len', make: () => ({ len: () => 1 }) },
  { name: 'object with every Tvf method but len', make: () => tvfLookAlike() },
  {
    name: 'real record that is also a thenable',
    make: () => Object.assign(new SimpleStringTvf(), { then: (ok: (v: unknown) => void) => ok(42) }),
  },
  { name: 'array of hostile values', make: () => [trappedProxy(), Symbol('x'), revokedProxy()] },
];

/** Any of {@link HOSTILE_VALUES}. */
export const hostileValue = (): fc.Arbitrary<Hostile> => fc.constantFrom(...HOSTILE_VALUES);
