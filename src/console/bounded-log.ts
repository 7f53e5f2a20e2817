/**
 * A bounded log: the most recent entries of something that never stops coming (lifecycle
 * events, figures ticks), each kept as the JSON text it is sent as, within a count and a
 * byte budget; past either the oldest entries go first. Memory is bounded however long
 * the console runs.
 */

/** One entry of a {@link BoundedLog}. */
export interface LogEntry<T> {
  /** Its number: 1, 2, 3, ... in the order entries were added (also the stream's event id). */
  readonly id: number;
  /** The value. */
  readonly value: T;
  /** `JSON.stringify(value)`, made once. */
  readonly text: string;
  /** Bytes of `text` in UTF-8. */
  readonly bytes: number;
}

/** The most recent entries, within `maxEntries` and `maxBytes`. */
export class BoundedLog<T> {
  /** Bytes of the entries held. */
  bytes = 0;
  /** Entries forgotten so far (pushed out by newer ones, or over `maxBytes` alone). */
  dropped = 0;
  private lastId = 0;
  private entries: LogEntry<T>[] = [];
  private head = 0;

  /** @param maxEntries most entries held; @param maxBytes most bytes held (their JSON text). */
  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  /** Entries held. */
  get size(): number {
    return this.entries.length - this.head;
  }

  /**
   * Adds the value `make` builds with the entry's id (its JSON text is made here, once)
   * and forgets the oldest entries past the limits. An entry larger than `maxBytes` alone
   * is returned but not kept.
   */
  push(make: (id: number) => T): LogEntry<T> {
    const id = ++this.lastId;
    const value = make(id);
    const text = JSON.stringify(value);
    const entry: LogEntry<T> = { id, value, text, bytes: Buffer.byteLength(text, 'utf8') };
    if (entry.bytes > this.maxBytes) {
      this.dropped++;
      return entry;
    }
    this.entries.push(entry);
    this.bytes += entry.bytes;
    while (this.size > this.maxEntries || this.bytes > this.maxBytes) this.dropOldest();
    return entry;
  }

  /** The entries held, oldest first (a new array). */
  list(): LogEntry<T>[] {
    return this.entries.slice(this.head);
  }

  /** The held entries' texts as one JSON array, without parsing or serializing anything again. */
  jsonArray(filter?: (value: T) => boolean): string {
    const texts: string[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      if (filter === undefined || filter(entry.value)) texts.push(entry.text);
    }
    return `[${texts.join(',')}]`;
  }

  private dropOldest(): void {
    this.bytes -= this.entries[this.head]!.bytes;
    this.head++;
    this.dropped++;
    // Compact now and then, so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
