/**
 * Reading the host values callers hand to setters (`Uint8Array`, `Date`) without running
 * any code of theirs: a subclass or an own property can override `length` or `getTime`,
 * and a Proxy's traps can throw. These call the engine's own getters and methods, which
 * read internal slots, and stay cheap on the hot path (no call into C++).
 */

const TYPED_ARRAY_PROTOTYPE = Object.getPrototypeOf(Uint8Array.prototype) as object;

function intrinsicGetter(name: string | symbol): (this: unknown) => unknown {
  return Object.getOwnPropertyDescriptor(TYPED_ARRAY_PROTOTYPE, name)!.get! as (this: unknown) => unknown;
}

/** `'Uint8Array'` for a Uint8Array (a Buffer too), another name for other typed arrays, else undefined. */
const TYPED_ARRAY_NAME = intrinsicGetter(Symbol.toStringTag);
const LENGTH = intrinsicGetter('length');
const BUFFER = intrinsicGetter('buffer');
const BYTE_OFFSET = intrinsicGetter('byteOffset');
const GET_TIME = Date.prototype.getTime;

/** True when `value` is a `Uint8Array` (a `Buffer` too; a Proxy of one is not). */
export function isUint8Array(value: unknown): value is Uint8Array {
  return TYPED_ARRAY_NAME.call(value) === 'Uint8Array';
}

/** The number of bytes of `bytes`, from its internal slot (whatever its `length` says). */
export function bytesLength(bytes: Uint8Array): number {
  return LENGTH.call(bytes) as number;
}

/** A `Buffer` over the same memory as `bytes` (no copy), located through its internal slots. */
export function bufferOver(bytes: Uint8Array): Buffer {
  return Buffer.from(BUFFER.call(bytes) as ArrayBuffer, BYTE_OFFSET.call(bytes) as number, bytesLength(bytes));
}

/** True when `value` is a `Date` (a subclass too; a Proxy of one is not). */
export function isDate(value: unknown): value is Date {
  return timeOf(value) !== undefined;
}

/**
 * The time value of `value` in ms (NaN for an invalid Date) when it is a `Date` (a
 * subclass too; a Proxy of one is not), from its internal slot; `undefined` otherwise.
 */
export function timeOf(value: unknown): number | undefined {
  try {
    return GET_TIME.call(value);
  } catch {
    return undefined; // not a Date: getTime refuses any other receiver
  }
}
