/**
 * The fields of one record: parallel arrays kept in ascending id order, so lookups are a
 * binary search and serializing needs no sort.
 */
import type { TvfFieldKind } from './tvf.js';

/**
 * How a field was written: a {@link TvfFieldKind}, or for a nested record written with
 * `putBuffer`, that record's own fields (kind `buffer`), kept so reading it back needs no
 * parse and keeps its kinds.
 */
export type FieldKindSlot = TvfFieldKind | FieldTable;

/**
 * Ordered fields. A table is owned by one record and changed only through it; a table
 * held in a `kinds` slot of another is never changed again (copies share it safely).
 */
export class FieldTable {
  /** Field ids, strictly ascending. */
  readonly ids: number[];
  /** Each field's value text. */
  readonly texts: string[];
  /** Each field's value text length in UTF-8 bytes. */
  readonly sizes: number[];
  /** How each field was written. */
  readonly kinds: FieldKindSlot[];

  constructor(ids: number[] = [], texts: string[] = [], sizes: number[] = [], kinds: FieldKindSlot[] = []) {
    this.ids = ids;
    this.texts = texts;
    this.sizes = sizes;
    this.kinds = kinds;
  }

  /** Index of field `id`, or -1. */
  find(id: number): number {
    const ids = this.ids;
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = ids[mid]!;
      if (at === id) return mid;
      if (at < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Sets field `id`, replacing any field there; appending past the last id is O(1). */
  set(id: number, text: string, size: number, kind: FieldKindSlot): void {
    const ids = this.ids;
    const n = ids.length;
    if (n === 0 || ids[n - 1]! < id) {
      ids.push(id);
      this.texts.push(text);
      this.sizes.push(size);
      this.kinds.push(kind);
      return;
    }
    let lo = 0;
    let hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = ids[mid]!;
      if (at === id) {
        this.texts[mid] = text;
        this.sizes[mid] = size;
        this.kinds[mid] = kind;
        return;
      }
      if (at < id) lo = mid + 1;
      else hi = mid - 1;
    }
    ids.splice(lo, 0, id);
    this.texts.splice(lo, 0, text);
    this.sizes.splice(lo, 0, size);
    this.kinds.splice(lo, 0, kind);
  }

  /** Removes field `id`; returns whether it was there. */
  delete(id: number): boolean {
    const i = this.find(id);
    if (i < 0) return false;
    this.ids.splice(i, 1);
    this.texts.splice(i, 1);
    this.sizes.splice(i, 1);
    this.kinds.splice(i, 1);
    return true;
  }

  /** A copy whose arrays are its own; nested tables are shared, as they never change. */
  copy(): FieldTable {
    return new FieldTable(this.ids.slice(), this.texts.slice(), this.sizes.slice(), this.kinds.slice());
  }

  /** True when both tables hold the same ids with the same texts. */
  sameTexts(other: FieldTable): boolean {
    const a = this.ids;
    const b = other.ids;
    const n = a.length;
    if (n !== b.length) return false;
    const at = this.texts;
    const bt = other.texts;
    for (let i = 0; i < n; i++) if (a[i] !== b[i] || at[i] !== bt[i]) return false;
    return true;
  }
}
