/**
 * Reading the host values callers hand to setters (`Uint8Array`, `Date`) without running
 * any code of theirs: a subclass or an own property can override `length` or `getTime`,
 * and a Proxy's traps can throw. These read the engine's internal slots instead.
 */
import { types } from 'node:util';

const TYPED_ARRAY_PROTOTYPE = Object.getPrototypeOf(Uint8Array.prototype) as object;

function intrinsicGetter(name: string): (this: unknown) => unknown {
  return Object.getOwnPropertyDescriptor(TYPED_ARRAY_PROTOTYPE, name)!.get! as (this: unknown) => unknown;
}

const LENGTH = intrinsicGetter('length');
const BUFFER = intrinsicGetter('buffer');
const BYTE_OFFSET = intrinsicGetter('byteOffset');
const GET_TIME = Date.prototype.getTime;

/** True when `value` is a `Uint8Array` (a `Buffer` too; a Proxy of one is not). */
export function isUint8Array(value: unknown): value is Uint8Array {
  return types.isUint8Array(value);
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
  return types.isDate(value);
}

/** The time value of `date` in ms (NaN for an invalid Date), from its internal slot. */
export function timeOf(date: Date): number {
  return GET_TIME.call(date);
}
