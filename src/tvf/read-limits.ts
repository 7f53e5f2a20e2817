/**
 * Bounds on reading the text form, so untrusted input can neither exhaust memory nor
 * nest deeper than a caller walks.
 */
import { numberOrType, TvfError, typeName } from './error.js';

/** Limits for reading a record's text form; each option has a default. */
export interface TvfReadOptions {
  /**
   * How many levels of nested buffers `getBuffer` may open below the record that was
   * read: the top record is depth 0, its buffers depth 1, and so on. Opening a deeper one
   * throws `SerializationError`. Records built in memory count from 0 likewise.
   * @defaultValue 32
   */
  maxDepth?: number;
  /**
   * Largest text accepted, in UTF-8 bytes; a longer one throws `SerializationError`
   * before it is read.
   * @defaultValue 16 MiB (16_777_216)
   */
  maxBytes?: number;
}

/** {@link TvfReadOptions} with every default applied. */
export interface TvfReadLimits {
  readonly maxDepth: number;
  readonly maxBytes: number;
}

/** The limits used when no option is given: depth 32, 16 MiB. */
export const DEFAULT_TVF_READ_LIMITS: TvfReadLimits = Object.freeze({ maxDepth: 32, maxBytes: 16 * 1024 * 1024 });

function badOptions(why: string, cause?: unknown): TvfError {
  return new TvfError('SerializationError', `read options: ${why}`, { cause });
}

/** `value` when it is undefined or a non-negative safe integer, else throws naming `name`. */
function limit(name: string, value: unknown): number | undefined {
  if (value === undefined || (Number.isSafeInteger(value) && (value as number) >= 0)) return value as number | undefined;
  throw badOptions(`${name} ${numberOrType(value)} is not a non-negative integer`);
}

/**
 * `options` with defaults applied; the shared default object when there is nothing to
 * apply, so the common call allocates nothing.
 * @throws TvfError `SerializationError` when `options` is neither undefined nor an
 *   object, reading an option throws, or a limit is not a non-negative integer.
 */
export function readLimits(options: TvfReadOptions | undefined): TvfReadLimits {
  if (options === undefined) return DEFAULT_TVF_READ_LIMITS;
  if (typeof options !== 'object' || options === null)
    throw badOptions(`the options argument is ${typeName(options)}, not an object`);
  let depth: unknown;
  let bytes: unknown;
  try {
    depth = options.maxDepth;
    bytes = options.maxBytes;
  } catch (cause) {
    throw badOptions('reading maxDepth or maxBytes threw', cause);
  }
  const maxDepth = limit('maxDepth', depth) ?? DEFAULT_TVF_READ_LIMITS.maxDepth;
  const maxBytes = limit('maxBytes', bytes) ?? DEFAULT_TVF_READ_LIMITS.maxBytes;
  if (maxDepth === DEFAULT_TVF_READ_LIMITS.maxDepth && maxBytes === DEFAULT_TVF_READ_LIMITS.maxBytes)
    return DEFAULT_TVF_READ_LIMITS;
  return Object.freeze({ maxDepth, maxBytes });
}
