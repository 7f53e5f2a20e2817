/**
 * Values the bus did not make (what an adaptor throws, rejects with, returns or passes to
 * `ctx.fail`) are hostile until checked: a getter or a Proxy trap may throw, `toString` may
 * throw, an object may have no prototype, a cause may be cyclic. These helpers are the
 * one way every layer reads such a value: {@link messageOf} for a message,
 * {@link codeOf} for an error code, and {@link safeError} for what a log line's `err`
 * (pino's serializers) or an error's `cause` may hold. None ever throws.
 */
import { types } from 'node:util';

/** Longest message {@link messageOf} returns, in UTF-16 code units (then cut, with `…`). */
export const MAX_MESSAGE_LENGTH = 1_000;

/** How many causes deep a thrown value is checked and copied. */
const MAX_CAUSES = 8;
/** Most elements of an `errors` list (AggregateError) that are checked and copied. */
const MAX_ERRORS = 16;
/** Most own fields of a thrown object copied onto its {@link ThrownValue}. */
const MAX_FIELDS = 16;

/** `value[key]`, or undefined when reading it throws. */
function read(value: object, key: PropertyKey): unknown {
  try {
    return (value as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** `text` cut to {@link MAX_MESSAGE_LENGTH}, never in the middle of a surrogate pair. */
function bounded(text: string): string {
  if (text.length <= MAX_MESSAGE_LENGTH) return text;
  let end = MAX_MESSAGE_LENGTH;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** The class name of a non-Proxy object, when it has a readable one other than `Object`. */
function className(value: object): string | undefined {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null || typeof proto !== 'object' || types.isProxy(proto)) return undefined;
  const constructor = read(proto, 'constructor');
  if (typeof constructor !== 'function' || types.isProxy(constructor)) return undefined;
  const name = read(constructor, 'name');
  return nonEmptyString(name) && name !== 'Object' ? name : undefined;
}

function objectMessage(value: object): string {
  if (types.isProxy(value)) return 'a Proxy'; // its traps are never run
  const message = read(value, 'message');
  if (nonEmptyString(message)) return message;
  if (types.isNativeError(value)) {
    const name = read(value, 'name');
    return nonEmptyString(name) ? name : 'an Error';
  }
  if (Object.getPrototypeOf(value) === null) return 'a null-prototype object';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const toString = read(value, 'toString');
  if (typeof toString === 'function' && toString !== Object.prototype.toString) {
    try {
      const text: unknown = String(value);
      if (nonEmptyString(text)) return text;
    } catch {
      // its own toString threw: describe it by its class instead
    }
  }
  const name = className(value);
  return name === undefined ? 'an object' : `an instance of ${name}`;
}

/**
 * A readable one-line account of any value, for an error message: an error's (or any
 * object's) `message`, a string itself, else what the value is (`undefined`, `42`, `10n`,
 * `Symbol(x)`, `a function f`, `a null-prototype object`, `a Proxy`, `an instance of Foo`).
 * The content of plain objects is never shown (it may hold secrets). At most
 * {@link MAX_MESSAGE_LENGTH} characters; never empty; never throws, whatever getters,
 * `toString` or Proxy traps the value has.
 */
export function messageOf(value: unknown): string {
  try {
    switch (typeof value) {
      case 'string':
        return value.length === 0 ? 'an empty string' : bounded(value);
      case 'bigint':
        return bounded(`${value}n`);
      case 'symbol':
        return bounded(String(value));
      case 'function': {
        if (types.isProxy(value)) return 'a Proxy';
        const name = read(value, 'name');
        return nonEmptyString(name) ? bounded(`a function ${name}`) : 'a function';
      }
      case 'object':
        return value === null ? 'null' : bounded(objectMessage(value));
      default:
        return String(value); // undefined, numbers, booleans
    }
  } catch {
    return 'an unreadable value';
  }
}

/**
 * The `code` of a thrown value when it is a non-empty string (Node's `ECONNREFUSED`, the
 * NATS client's `AUTHORIZATION_VIOLATION`, ...), else undefined. Reads one property, and
 * never through a Proxy; never throws.
 */
export function codeOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || types.isProxy(value)) return undefined;
  const code = read(value, 'code');
  return nonEmptyString(code) ? code : undefined;
}

/** The getter V8 gives every error's `stack` (Node 21+: an accessor; Node 20: a data property). */
const NATIVE_STACK = Object.getOwnPropertyDescriptor(new Error('probe'), 'stack');

/** Most properties of plain data (arrays, plain objects) read below one error field. */
const MAX_PLAIN_PROPERTIES = 256;
/** Deepest plain data below one error field. */
const MAX_PLAIN_DEPTH = 4;

/**
 * True when `value` is harmless in a log line: a primitive JSON can write, a well-formed
 * error, or plain data (extensible arrays and plain objects of data properties, a few
 * levels deep) made of primitives. `budget.left` bounds the properties read.
 */
function isHarmlessField(value: unknown, depth: number, seen: Set<object>, budget = { left: MAX_PLAIN_PROPERTIES }): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return true;
    case 'object':
      if (value === null) return true;
      if (types.isNativeError(value)) return isWellFormedError(value, depth, seen);
      return isPlainData(value, 0, budget);
    default:
      return false; // bigint and symbol do not serialize; a function cause would be called
  }
}

function isPlainData(value: object, level: number, budget: { left: number }): boolean {
  // extensible: pino tags an error-like object (one with a string `message`) it serializes
  if (level > MAX_PLAIN_DEPTH || types.isProxy(value) || !Object.isExtensible(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (!(Array.isArray(value) ? proto === Array.prototype : proto === Object.prototype || proto === null)) return false;
  for (const key of Reflect.ownKeys(value)) {
    if (--budget.left < 0 || typeof key === 'symbol') return false;
    const descriptor = Reflect.getOwnPropertyDescriptor(value, key)!;
    if (!('value' in descriptor)) return false;
    const field: unknown = descriptor.value;
    if (typeof field === 'object' && field !== null) {
      if (!isPlainData(field, level + 1, budget)) return false;
    } else if (!(typeof field === 'string' || typeof field === 'number' || typeof field === 'boolean' || field === undefined || field === null)) {
      return false;
    }
  }
  return true;
}

/**
 * True when pino (and anyone else) can read `value` as an error without running code of
 * its own: a native error, not a Proxy, extensible (pino tags the errors it logs), with only
 * plain data properties down its prototype chain (V8's own `stack` accessor aside), a
 * string `message`, enumerable fields that are primitives or plain data, and the same for
 * its causes and `errors` (cycles allowed: pino stops at them).
 */
function isWellFormedError(value: object, depth: number, seen: Set<object>): value is Error {
  if (seen.has(value)) return true;
  if (depth > MAX_CAUSES || types.isProxy(value) || !types.isNativeError(value) || !Object.isExtensible(value)) return false;
  seen.add(value);
  for (let o: object | null = value; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    if (types.isProxy(o)) return false;
    for (const key of Reflect.ownKeys(o)) {
      const descriptor = Reflect.getOwnPropertyDescriptor(o, key)!;
      if (!('value' in descriptor)) {
        const nativeStack = key === 'stack' && descriptor.get === NATIVE_STACK?.get && descriptor.set === NATIVE_STACK?.set;
        if (!nativeStack) return false;
      } else if (descriptor.enumerable === true && !isHarmlessField(descriptor.value, depth + 1, seen)) {
        return false;
      }
    }
  }
  const error = value as Error & { errors?: unknown };
  if (typeof error.message !== 'string' || !isHarmlessField(error.cause, depth + 1, seen)) return false;
  const stack: unknown = error.stack;
  if (stack !== undefined && typeof stack !== 'string') return false;
  const constructor: unknown = error.constructor;
  if (constructor !== undefined) {
    if (typeof constructor !== 'function' || types.isProxy(constructor)) return false;
    const name = Reflect.getOwnPropertyDescriptor(constructor, 'name');
    if (name !== undefined && !('value' in name && typeof name.value === 'string')) return false;
  }
  const errors = error.errors;
  if (errors === undefined) return true;
  if (!Array.isArray(errors) || types.isProxy(errors) || errors.length > MAX_ERRORS) return false;
  for (let i = 0; i < errors.length; i++) {
    const descriptor = Reflect.getOwnPropertyDescriptor(errors, i);
    if (descriptor === undefined || !('value' in descriptor) || !isHarmlessField(descriptor.value, depth + 1, seen)) return false;
  }
  return true;
}

/**
 * What {@link safeError} gives for a value that is not a well-formed error: an `Error` that
 * says, readably, what was thrown. It keeps the original's `stack` and its primitive own
 * fields (`code`, `kind`, `recoverable`, ...) when they can be read, and its cause (made
 * safe the same way, a few levels deep).
 */
export class ThrownValue extends Error {
  override name = 'ThrownValue';

  /**
   * Use {@link safeError}: it returns a well-formed error as it is.
   * @param depth - how many causes deep `value` sits (copying stops a few levels down)
   */
  constructor(value: unknown, depth = 0) {
    super(messageOf(value));
    if (typeof value !== 'object' || value === null || types.isProxy(value)) return;
    try {
      const stack = read(value, 'stack');
      if (nonEmptyString(stack)) this.stack = bounded(stack);
      let copied = 0;
      for (const key of Object.keys(value)) {
        if (copied === MAX_FIELDS) break;
        if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue;
        const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
        const field: unknown = descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined;
        if (typeof field === 'string' || typeof field === 'number' || typeof field === 'boolean') {
          Object.defineProperty(this, key, { value: field, enumerable: true, writable: true, configurable: true });
          copied++;
        }
      }
      const cause = Reflect.getOwnPropertyDescriptor(value, 'cause');
      if (cause !== undefined && 'value' in cause && cause.value !== undefined && depth < MAX_CAUSES) {
        const safe = safeErrorAt(cause.value, depth + 1);
        Object.defineProperty(this, 'cause', { value: safe, enumerable: false, writable: true, configurable: true });
      }
    } catch {
      // what could be read was copied
    }
  }
}

/**
 * `value` itself when it is a well-formed error (a native error whose reading runs none of
 * its own code, down to its causes), else a {@link ThrownValue} that describes it. Hand
 * only this to a log line's `err` and to an error's `cause`: pino's serializers read
 * `message`, `stack`, `cause` and every enumerable field, and write a tag on the error
 * (so a frozen error, a getter that throws, a Proxy or a function cause would make the
 * log call itself throw). Never throws.
 */
export function safeError(value: unknown): Error {
  return safeErrorAt(value, 0);
}

function safeErrorAt(value: unknown, depth: number): Error {
  try {
    if (typeof value === 'object' && value !== null && isWellFormedError(value, depth, new Set())) return value;
  } catch {
    // fall through: describe it instead
  }
  try {
    return new ThrownValue(value, depth);
  } catch {
    return new ThrownValue('an unreadable value');
  }
}
