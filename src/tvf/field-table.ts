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

/** A table's ids and texts in ascending id order: index `i` of each is one field. */
export interface FieldTexts {
  /** Field ids, strictly ascending. */
  readonly ids: readonly number[];
  /** Each field's value text. */
  readonly texts: readonly string[];
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
  #ids: number[];
  #texts: string[];
  #sizes: number[];
  #kinds: FieldKindSlot[];
  /** Slots `[0, #ordered)` are the ascending run; the rest were put out of order. */
  #ordered: number;
  /** Removed fields still holding a slot. */
  #removed = 0;
  /**
   * Slot of each live out-of-order field, by id, once a lookup has needed it; while
   * `undefined` with slots past the run, those may repeat an id (the last one counts).
   */
  #late: Map<number, number> | undefined;
  /**
   * The text this table was read from, until the table changes: {@link text} returns it
   * when it is the text form already, instead of writing the same text again.
   */
  #source: string | undefined;

  /** A table over columns already in strictly ascending id order (owned from now on). */
  constructor(ids: number[] = [], texts: string[] = [], sizes: number[] = [], kinds: FieldKindSlot[] = []) {
    this.#ids = ids;
    this.#texts = texts;
    this.#sizes = sizes;
    this.#kinds = kinds;
    this.#ordered = ids.length;
  }

  /** True when `value` is a table (never runs code of `value`). */
  static is(value: unknown): value is FieldTable {
    return typeof value === 'object' && value !== null && #ids in value;
  }

  /** Number of fields. */
  get size(): number {
    if (this.#late === undefined && this.#ordered < this.#ids.length) this.#merge(); // ids may repeat
    return this.#ids.length - this.#removed;
  }

  /** The slot of `id` in the run (a removed field's slot too), or -1. */
  #runSlot(id: number): number {
    const ids = this.#ids;
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
    if (i >= 0 || this.#ordered === this.#ids.length) return i;
    return (this.#late ?? this.#indexLate()).get(id) ?? -1;
  }

  /** Builds the index of the out-of-order fields; of a repeated id, the last slot counts. */
  #indexLate(): Map<number, number> {
    const ids = this.#ids;
    const sizes = this.#sizes;
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
    this.#sizes[s] = REMOVED;
    this.#texts[s] = '';
    this.#kinds[s] = 'text';
    this.#removed += 1;
  }

  /**
   * Index of field `id` in the columns, or -1. The index reads {@link textAt} and
   * {@link kindAt} until the table next changes or is settled; it is not a position in
   * {@link settled}.
   */
  find(id: number): number {
    const i = this.#slot(id);
    return i >= 0 && this.#sizes[i]! >= 0 ? i : -1;
  }

  /** The text of the field at index `i` (from {@link find}). */
  textAt(i: number): string {
    return this.#texts[i]!;
  }

  /** The UTF-8 size of the text of the field at index `i` (from {@link find}). */
  sizeAt(i: number): number {
    return this.#sizes[i]!;
  }

  /** How the field at index `i` (from {@link find}) was written. */
  kindAt(i: number): FieldKindSlot {
    return this.#kinds[i]!;
  }

  /** Sets field `id`, replacing any field there; O(1) past the last id, else O(log n). */
  set(id: number, text: string, size: number, kind: FieldKindSlot): void {
    this.#source = undefined;
    const ids = this.#ids;
    const n = ids.length;
    if (this.#ordered === n && (n === 0 || ids[n - 1]! < id)) {
      ids.push(id);
      this.#texts.push(text);
      this.#sizes.push(size);
      this.#kinds.push(kind);
      this.#ordered = n + 1;
      return;
    }
    this.#setOutOfOrder(id, text, size, kind);
  }

  /** {@link set} of an id not past the last one: kept apart so `set` stays small enough to inline. */
  #setOutOfOrder(id: number, text: string, size: number, kind: FieldKindSlot): void {
    const ids = this.#ids;
    const n = ids.length;
    let i = this.#runSlot(id);
    if (i < 0 && this.#late !== undefined) {
      i = this.#late.get(id) ?? -1;
      if (i < 0) this.#late.set(id, n);
    }
    if (i >= 0) {
      if (this.#sizes[i]! < 0) this.#removed -= 1;
      this.#texts[i] = text;
      this.#sizes[i] = size;
      this.#kinds[i] = kind;
      return;
    }
    ids.push(id);
    this.#texts.push(text);
    this.#sizes.push(size);
    this.#kinds.push(kind);
  }

  /** Removes field `id`; returns whether it was there. O(log n), moves no other field. */
  delete(id: number): boolean {
    const i = this.#slot(id);
    if (i < 0 || this.#sizes[i]! < 0) return false;
    this.#source = undefined;
    const last = this.#ids.length - 1;
    if (i >= this.#ordered) this.#late!.delete(id);
    if (i !== last) {
      this.#clear(i);
      return true;
    }
    this.#ids.pop();
    this.#texts.pop();
    this.#sizes.pop();
    this.#kinds.pop();
    if (this.#ordered > last) this.#ordered = last;
    if (this.#ordered === last) this.#late = undefined;
    return true;
  }

  /**
   * Puts the columns back in strictly ascending id order, without removed fields, when
   * they are not (O(n log n) once after fields were put out of order, O(n) after
   * removals; nothing otherwise).
   */
  #settle(): void {
    if (this.#ordered < this.#ids.length) this.#merge();
    else if (this.#removed !== 0) this.#compact();
  }

  /** The text form of the fields: `ID;LEN;VALUE;` for each, in ascending id order. */
  text(): string {
    const source = this.#source;
    if (source !== undefined && this.#isTextForm(source)) return source;
    this.#source = undefined;
    this.#settle();
    const ids = this.#ids;
    const texts = this.#texts;
    const sizes = this.#sizes;
    let out = '';
    for (let i = 0; i < ids.length; i++) out += ids[i] + ';' + sizes[i] + ';' + texts[i] + ';';
    return out;
  }

  /**
   * Keeps `source`, the text this table was just read from: {@link text} returns it, while
   * the table is unchanged, when it is the text form already (a record passed on as it
   * came is not written again).
   */
  keepSource(source: string): void {
    // Only fields read in strictly ascending order can be in the text form: decided now,
    // before any lookup puts them in order.
    if (this.#ordered === this.#ids.length && this.#removed === 0) this.#source = source;
  }

  /**
   * True when `source`, the text the table was read from with its fields in strictly
   * ascending id order ({@link keepSource}), is its text form: no id repeated, ids and
   * lengths written without sign or leading zero. Each field's `ID;LEN;VALUE;` as read is
   * at least as long as its text form, and equal only when it is that form (a repeated id
   * adds a field the table does not hold), so equal total lengths say it.
   */
  #isTextForm(source: string): boolean {
    const ids = this.#ids;
    const texts = this.#texts;
    const sizes = this.#sizes;
    let length = 0;
    for (let i = 0; i < ids.length; i++) length += digits(ids[i]!) + digits(sizes[i]!) + texts[i]!.length + 3;
    return length === source.length;
  }

  /**
   * The UTF-8 size of `text`, what {@link text} just returned (the table unchanged since):
   * ids and lengths are ASCII, the values' sizes are known.
   */
  textSize(text: string): number {
    const texts = this.#texts;
    const sizes = this.#sizes;
    let size = text.length;
    for (let i = 0; i < texts.length; i++) size += sizes[i]! - texts[i]!.length;
    return size;
  }

  /** The field ids in ascending order, in a new array. */
  ids(): number[] {
    this.#settle();
    return this.#ids.slice();
  }

  /** The ids and texts in ascending id order, to walk every field: valid until the table next changes. */
  settled(): FieldTexts {
    this.#settle();
    return { ids: this.#ids, texts: this.#texts };
  }

  /** Drops the removed slots of the run (there is nothing past it), keeping the order. */
  #compact(): void {
    const ids = this.#ids;
    const texts = this.#texts;
    const sizes = this.#sizes;
    const kinds = this.#kinds;
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
    const ids = this.#ids;
    const sizes = this.#sizes;
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
    const ids = this.#ids;
    const texts = this.#texts;
    const sizes = this.#sizes;
    const kinds = this.#kinds;
    const run = this.#ordered;
    const late = this.#lateInOrder();
    const m = late.length;
    const out = { ids: [] as number[], texts: [] as string[], sizes: [] as number[], kinds: [] as FieldKindSlot[] }; // pushed to, so packed
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
    this.#ids = out.ids;
    this.#texts = out.texts;
    this.#sizes = out.sizes;
    this.#kinds = out.kinds;
    this.#ordered = out.ids.length;
    this.#removed = 0;
    this.#late = undefined;
  }

  /** A copy whose columns are its own; nested tables are shared, as they never change. */
  copy(): FieldTable {
    this.#settle();
    const copy = new FieldTable(this.#ids.slice(), this.#texts.slice(), this.#sizes.slice(), this.#kinds.slice());
    copy.#source = this.#source;
    return copy;
  }

  /** True when both tables hold the same ids with the same texts. */
  sameTexts(other: FieldTable): boolean {
    this.#settle();
    other.#settle();
    const a = this.#ids;
    const b = other.#ids;
    const n = a.length;
    if (n !== b.length) return false;
    const at = this.#texts;
    const bt = other.#texts;
    for (let i = 0; i < n; i++) if (a[i] !== b[i] || at[i] !== bt[i]) return false;
    return true;
  }
}

/** How many decimal digits `n` (a whole number, 0 or more) takes. */
function digits(n: number): number {
  let count = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    count++;
  }
  return count;
}
