/**
 * Bounds on reading the text form, so untrusted input can neither exhaust memory nor
 * nest deeper than a caller walks.
 */
import { TvfError } from './error.js';

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

/**
 * `options` with defaults applied; the shared default object when there is nothing to
 * apply, so the common call allocates nothing.
 * @throws TvfError `SerializationError` when a limit is not a non-negative integer.
 */
export function readLimits(options: TvfReadOptions | undefined): TvfReadLimits {
  if (options === undefined) return DEFAULT_TVF_READ_LIMITS;
  const maxDepth = options.maxDepth ?? DEFAULT_TVF_READ_LIMITS.maxDepth;
  const maxBytes = options.maxBytes ?? DEFAULT_TVF_READ_LIMITS.maxBytes;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 0)
    throw new TvfError('SerializationError', `read option maxDepth ${String(maxDepth)} is not a non-negative integer`);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0)
    throw new TvfError('SerializationError', `read option maxBytes ${String(maxBytes)} is not a non-negative integer`);
  if (maxDepth === DEFAULT_TVF_READ_LIMITS.maxDepth && maxBytes === DEFAULT_TVF_READ_LIMITS.maxBytes)
    return DEFAULT_TVF_READ_LIMITS;
  return Object.freeze({ maxDepth, maxBytes });
}
