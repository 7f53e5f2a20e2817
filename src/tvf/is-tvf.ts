/**
 * The one check of "is this value a TVF record", for every layer: a reply an adaptor
 * returns, a payload a request carries, a value a log line holds.
 */
import { types } from 'node:util';
import { SimpleStringTvf } from './simple-string-tvf.js';
import type { Tvf } from './tvf.js';

/** The methods every {@link Tvf} has, all of which {@link isTvf} checks (the type keeps the list complete). */
export const TVF_METHODS: readonly (keyof Tvf)[] = Object.keys({
  isEmpty: true, len: true, contains: true, remove: true, keys: true,
  getString: true, getUnsigned: true, getSigned: true, getByte: true, getFloat: true, getBytes: true,
  getDate: true, getDatetime: true, getBuffer: true,
  putString: true, putUnsigned: true, putSigned: true, putByte: true, putFloat: true, putBytes: true,
  putDate: true, putDatetime: true, putBuffer: true,
  equals: true, clone: true,
} satisfies Record<keyof Tvf, true>) as (keyof Tvf)[];

/**
 * Every method of {@link TVF_METHODS}, one by one: named reads stay fast (about 10 ns)
 * where a loop over the names reads keyed, thirty times slower.
 */
function hasTvfMethods(v: Partial<Record<keyof Tvf | 'then', unknown>>): boolean {
  return (
    typeof v.isEmpty === 'function' && typeof v.len === 'function' && typeof v.contains === 'function' &&
    typeof v.remove === 'function' && typeof v.keys === 'function' &&
    typeof v.getString === 'function' && typeof v.getUnsigned === 'function' && typeof v.getSigned === 'function' &&
    typeof v.getByte === 'function' && typeof v.getFloat === 'function' && typeof v.getBytes === 'function' &&
    typeof v.getDate === 'function' && typeof v.getDatetime === 'function' && typeof v.getBuffer === 'function' &&
    typeof v.putString === 'function' && typeof v.putUnsigned === 'function' && typeof v.putSigned === 'function' &&
    typeof v.putByte === 'function' && typeof v.putFloat === 'function' && typeof v.putBytes === 'function' &&
    typeof v.putDate === 'function' && typeof v.putDatetime === 'function' && typeof v.putBuffer === 'function' &&
    typeof v.equals === 'function' && typeof v.clone === 'function' &&
    // a thenable is never a record: a promise resolved with it would call `then` instead
    typeof v.then !== 'function'
  );
}

/**
 * True when `value` is a TVF record: an object, not a Proxy, that has every method of the
 * {@link Tvf} interface and is not a thenable. A getter that throws while it is checked
 * makes it no record. Any implementation passes (the interface is the contract), a look-alike
 * with only some of the methods does not. A `SimpleStringTvf` passes on its brand check
 * alone (and no `then`): its methods are the class's own unless the instance was given
 * own properties of the same names, which is not checked (that check would double the
 * cost of a request, where this runs twice). Never throws.
 */
export function isTvf(value: unknown): value is Tvf {
  try {
    if (SimpleStringTvf.isInstance(value)) return typeof (value as { then?: unknown }).then !== 'function';
    if (typeof value !== 'object' || value === null || types.isProxy(value)) return false;
    return hasTvfMethods(value as Partial<Record<keyof Tvf | 'then', unknown>>);
  } catch {
    return false;
  }
}
