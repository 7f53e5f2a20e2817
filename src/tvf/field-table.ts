/**
 * The fields of one record: parallel columns (id, text, UTF-8 size, kind) read in
 * ascending id order. Every operation is O(1) or O(log n) for any order of ids, and
 * putting them in order costs nothing extra; see {@link FieldTable}.
 */
import type { TvfFieldKind } from './tvf.js';

/**
 * How a field was written: a {@link TvfFieldKind}, or for a nested record written with
 * `putBuffer`, that record's own fields (kind `buffer`), kept so reading it back needs no
 * parse and keeps its kinds.
 */
export type FieldKindSlot = TvfFieldKind | FieldTable;

/** A table's fields as columns: index `i` of each is one field. */
export interface FieldColumns {
  /** Field ids, strictly ascending. */
  readonly ids: readonly number[];
  /** Each field's value text. */
  readonly texts: readonly string[];
  /** Each field's value text length in UTF-8 bytes. */
  readonly sizes: readonly number[];
  /** How each field was written. */
  readonly kinds: readonly FieldKindSlot[];
}

interface Columns {
  ids: number[];
  texts: string[];
  sizes: number[];
  kinds: FieldKindSlot[];
}

/** The size of a removed field's slot (a real size is never negative). */
const REMOVED = -1;

/**
 * Fields of one record. A table is owned by one record and changed only through it; a
 * table held in a `kinds` slot of another is never changed again (copies share it safely).
 *
 * Layout, so that no operation moves other fields (moving them made reading a text in
 * descending order quadratic): the columns start with a run in strictly ascending id
 * order, binary searched; a field put out of order goes after the run, in arrival order.
 * A removed field keeps its slot, with size `REMOVED`. The out-of-order part gets an id
 * to slot index only when a lookup needs it: until then a repeated id is appended again
 * and the last one wins. {@link settled} puts everything back in order when the columns
 * are walked (a native numeric sort of the out-of-order ids, then one merge). So reading
 * or building n fields costs O(n) in ascending order, with no index at all, and
 * O(n log n) in any other; lookups, puts and removals in between cost O(1) or O(log n).
 */
export class FieldTable {
  #c: Columns;
  /** Slots `[0, #ordered)` are the ascending run; the rest were put out of order. */
  #ordered: number;
  /** Removed fields still holding a slot. */
  #removed = 0;
  /**
   * Slot of each live out-of-order field, by id, once a lookup has needed it; while
   * `undefined` with slots past the run, those may repeat an id (the last one counts).
   */
  #late: Map<number, number> | undefined;

  /** A table over columns already in strictly ascending id order (owned from now on). */
  constructor(ids: number[] = [], texts: string[] = [], sizes: number[] = [], kinds: FieldKindSlot[] = []) {
    this.#c = { ids, texts, sizes, kinds };
    this.#ordered = ids.length;
  }

  /** True when `value` is a table (never runs code of `value`). */
  static is(value: unknown): value is FieldTable {
    return typeof value === 'object' && value !== null && #c in value;
  }

  /** Number of fields. */
  get size(): number {
    if (this.#late === undefined && this.#ordered < this.#c.ids.length) this.#merge(); // ids may repeat
    return this.#c.ids.length - this.#removed;
  }

  /** The slot of `id` in the run (a removed field's slot too), or -1. */
  #runSlot(id: number): number {
    const ids = this.#c.ids;
    let lo = 0;
    let hi = this.#ordered - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = ids[mid]!;
      if (at === id) return mid;
      if (at < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The slot of field `id` (in the run, a removed field's slot too), or -1. */
  #slot(id: number): number {
    const i = this.#runSlot(id);
    if (i >= 0 || this.#ordered === this.#c.ids.length) return i;
    return (this.#late ?? this.#indexLate()).get(id) ?? -1;
  }

  /** Builds the index of the out-of-order fields; of a repeated id, the last slot counts. */
  #indexLate(): Map<number, number> {
    const { ids, sizes } = this.#c;
    const late = new Map<number, number>();
    for (let s = this.#ordered; s < ids.length; s++) {
      if (sizes[s]! < 0) continue;
      const earlier = late.get(ids[s]!);
      if (earlier !== undefined) this.#clear(earlier);
      late.set(ids[s]!, s);
    }
    this.#late = late;
    return late;
  }

  /** Marks slot `s` removed, letting its value go now rather than at the next settle. */
  #clear(s: number): void {
    const c = this.#c;
    c.sizes[s] = REMOVED;
    c.texts[s] = '';
    c.kinds[s] = 'text';
    this.#removed += 1;
  }

  /**
   * Index of field `id` in the columns, or -1. The index reads {@link textAt} and
   * {@link kindAt} until the table next changes or is settled; it is not a position in
   * {@link settled}.
   */
  find(id: number): number {
    const i = this.#slot(id);
    return i >= 0 && this.#c.sizes[i]! >= 0 ? i : -1;
  }

  /** The text of the field at index `i` (from {@link find}). */
  textAt(i: number): string {
    return this.#c.texts[i]!;
  }

  /** How the field at index `i` (from {@link find}) was written. */
  kindAt(i: number): FieldKindSlot {
    return this.#c.kinds[i]!;
  }

  /** Sets field `id`, replacing any field there; O(1) past the last id, else O(log n). */
  set(id: number, text: string, size: number, kind: FieldKindSlot): void {
    const c = this.#c;
    const ids = c.ids;
    const n = ids.length;
    if (this.#ordered === n && (n === 0 || ids[n - 1]! < id)) {
      ids.push(id);
      c.texts.push(text);
      c.sizes.push(size);
      c.kinds.push(kind);
      this.#ordered = n + 1;
      return;
    }
    let i = this.#runSlot(id);
    if (i < 0 && this.#late !== undefined) {
      i = this.#late.get(id) ?? -1;
      if (i < 0) this.#late.set(id, n);
    }
    if (i >= 0) {
      if (c.sizes[i]! < 0) this.#removed -= 1;
      c.texts[i] = text;
      c.sizes[i] = size;
      c.kinds[i] = kind;
      return;
    }
    ids.push(id);
    c.texts.push(text);
    c.sizes.push(size);
    c.kinds.push(kind);
  }

  /** Removes field `id`; returns whether it was there. O(log n), moves no other field. */
  delete(id: number): boolean {
    const i = this.#slot(id);
    const c = this.#c;
    if (i < 0 || c.sizes[i]! < 0) return false;
    const last = c.ids.length - 1;
    if (i >= this.#ordered) this.#late!.delete(id);
    if (i !== last) {
      this.#clear(i);
      return true;
    }
    c.ids.pop();
    c.texts.pop();
    c.sizes.pop();
    c.kinds.pop();
    if (this.#ordered > last) this.#ordered = last;
    if (this.#ordered === last) this.#late = undefined;
    return true;
  }

  /**
   * The columns in strictly ascending id order, without removed fields: valid until the
   * table next changes. Puts the table back in order first when it is not (O(n log n)
   * once after fields were put out of order, O(n) after removals; nothing otherwise).
   */
  settled(): FieldColumns {
    if (this.#ordered < this.#c.ids.length) this.#merge();
    else if (this.#removed !== 0) this.#compact();
    return this.#c;
  }

  /** Drops the removed slots of the run (there is nothing past it), keeping the order. */
  #compact(): void {
    const { ids, texts, sizes, kinds } = this.#c;
    let w = 0;
    for (let r = 0; r < ids.length; r++) {
      if (sizes[r]! < 0) continue;
      ids[w] = ids[r]!;
      texts[w] = texts[r]!;
      sizes[w] = sizes[r]!;
      kinds[w] = kinds[r]!;
      w++;
    }
    ids.length = texts.length = sizes.length = kinds.length = w;
    this.#ordered = w;
    this.#removed = 0;
  }

  /** Slots of the live out-of-order fields, in (id, slot) order. */
  #lateInOrder(): Float64Array {
    const { ids, sizes } = this.#c;
    const run = this.#ordered;
    const count = ids.length - run;
    // Native numeric sort of keys id * scale + (slot - run): exact while below 2^53.
    const scale = 2 ** (32 - Math.clz32(count));
    const keys = new Float64Array(count);
    let k = 0;
    let maxId = 0;
    for (let s = run; s < ids.length; s++) {
      if (sizes[s]! < 0) continue;
      const id = ids[s]!;
      if (id > maxId) maxId = id;
      keys[k++] = id * scale + (s - run);
    }
    const live = keys.subarray(0, k);
    if (maxId < Number.MAX_SAFE_INTEGER / scale) {
      let descending = true; // a text written in descending order needs no sort: reverse it
      for (let i = 1; i < k && descending; i++) descending = live[i - 1]! > live[i]!;
      if (descending) live.reverse();
      else live.sort();
      for (let i = 0; i < k; i++) live[i] = run + (live[i]! % scale);
      return live;
    }
    // Ids too large to pack: sort the slots themselves.
    const slots: number[] = [];
    for (let s = run; s < ids.length; s++) if (sizes[s]! >= 0) slots.push(s);
    slots.sort((a, b) => ids[a]! - ids[b]! || a - b);
    return Float64Array.from(slots);
  }

  /** Merges the out-of-order fields into the run, dropping removed slots and repeats. */
  #merge(): void {
    const { ids, texts, sizes, kinds } = this.#c;
    const run = this.#ordered;
    const late = this.#lateInOrder();
    const m = late.length;
    const out: Columns = { ids: [], texts: [], sizes: [], kinds: [] }; // pushed to, so packed
    const put = (s: number): void => {
      out.ids.push(ids[s]!);
      out.texts.push(texts[s]!);
      out.sizes.push(sizes[s]!);
      out.kinds.push(kinds[s]!);
    };
    let i = 0;
    let j = 0;
    for (;;) {
      while (i < run && sizes[i]! < 0) i++;
      while (j + 1 < m && ids[late[j]!] === ids[late[j + 1]!]) j++; // a repeated id: the last put wins
      if (i < run && (j === m || ids[i]! < ids[late[j]!]!)) put(i++);
      else if (j < m) put(late[j++]!);
      else break;
    }
    this.#c = out;
    this.#ordered = out.ids.length;
    this.#removed = 0;
    this.#late = undefined;
  }

  /** A copy whose columns are its own; nested tables are shared, as they never change. */
  copy(): FieldTable {
    const { ids, texts, sizes, kinds } = this.settled();
    return new FieldTable(ids.slice(), texts.slice(), sizes.slice(), kinds.slice());
  }

  /** True when both tables hold the same ids with the same texts. */
  sameTexts(other: FieldTable): boolean {
    const a = this.settled();
    const b = other.settled();
    const n = a.ids.length;
    if (n !== b.ids.length) return false;
    for (let i = 0; i < n; i++) if (a.ids[i] !== b.ids[i] || a.texts[i] !== b.texts[i]) return false;
    return true;
  }
}
