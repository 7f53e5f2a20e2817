/**
 * Field ids: non-negative safe integers.
 */
import { invalidFieldId } from './error.js';

/** True when `id` can name a field: a non-negative safe integer. */
export function isFieldId(id: unknown): id is number {
  return Number.isSafeInteger(id) && (id as number) >= 0;
}

/**
 * Returns `id` when it can name a field.
 * @throws TvfError `TypeMismatch` when `id` is not a non-negative safe integer.
 */
export function checkFieldId(id: number): number {
  if (!Number.isSafeInteger(id) || id < 0) throw invalidFieldId(id);
  return id;
}
