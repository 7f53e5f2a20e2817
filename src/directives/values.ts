/**
 * The values of one directive instance: each with its id, the resolver run that gave it,
 * its lifetime (`ttlMs`) and its `release` hook, and the instance's value limit. The
 * store says when its count crosses the limit, and what was added and removed; it
 * decides nothing else.
 */
import type { Clock } from './clock.js';
import type { DirectiveValue } from './reference.js';
import type { ValueOptions } from './resolver.js';

/** What gave a value: one run of one resolver (a run's values are removed when it fails). */
export interface ValueOrigin {
  /** Name of the resolver. */
  readonly name: string;
  /** Name of the processor or bus-level handler that gave the resolver. */
  readonly source: string;
}

/** What the store tells its instance, synchronously, as values come and go. */
export interface ValueStoreEvents {
  /** A value was added. */
  added(entry: DirectiveValue<unknown>): void;
  /** A value was removed (removed by id, expired, its run failed or went, or the store was emptied). */
  removed(entry: DirectiveValue<unknown>): void;
  /** The count reached the limit (`true`) or fell below it again (`false`). Not told while the store is emptied. */
  limitCrossed(full: boolean): void;
  /** A `release` hook threw: `what` names it. */
  report(error: unknown, what: string): void;
}

/** One value held. */
interface ValueRecord<O> extends DirectiveValue<unknown> {
  /** The run that gave it, as the store's user names runs. */
  readonly owner: O;
  /** Which run of its owner gave it (owners are restarted; a failure removes only its own run's values). */
  readonly run: number;
  readonly release: ((value: unknown) => void) | undefined;
  timer: unknown;
}

/**
 * The values of one instance, in the order they were added. `O` is how the caller names
 * what gave a value (a resolver run); the store only compares it.
 */
export class ValueStore<O extends ValueOrigin> {
  /** Most values; `Infinity` when unbounded. */
  readonly maxValues: number;
  /** Values by id, in the order they were added (a Map: removing one costs O(1), not a scan). */
  private readonly records = new Map<number, ValueRecord<O>>();
  private nextId = 1;
  private readonly clock: Clock;
  private readonly events: ValueStoreEvents;
  /** The directive's name, for the error of a bad `ttlMs`. */
  private readonly name: string;

  constructor(name: string, maxValues: number, clock: Clock, events: ValueStoreEvents) {
    this.name = name;
    this.maxValues = maxValues;
    this.clock = clock;
    this.events = events;
  }

  /** Values held. */
  get size(): number {
    return this.records.size;
  }

  /** True while the store holds fewer values than its limit. */
  get belowLimit(): boolean {
    return this.records.size < this.maxValues;
  }

  /**
   * Adds a value given by run `run` of `owner`. Returns its id, or undefined when the store
   * already holds its limit. Throws a `RangeError` for a `ttlMs` that is not a finite
   * number >= 0 (nothing is added then).
   */
  add(owner: O, run: number, value: unknown, options: ValueOptions<unknown> | undefined): number | undefined {
    if (!this.belowLimit) return undefined;
    const ttlMs = options?.ttlMs;
    if (ttlMs !== undefined && (typeof ttlMs !== 'number' || !(ttlMs >= 0) || !Number.isFinite(ttlMs))) {
      throw new RangeError(`directive ${this.name}: ttlMs must be a finite number >= 0, got ${String(ttlMs)}`);
    }
    const record: ValueRecord<O> = {
      id: this.nextId++,
      value,
      resolver: owner.name,
      source: owner.source,
      owner,
      run,
      release: options?.release,
      timer: undefined,
    };
    this.records.set(record.id, record);
    if (ttlMs !== undefined) record.timer = this.clock.setTimeout(() => this.remove(record.id), ttlMs);
    this.events.added(entryOf(record));
    if (this.records.size === this.maxValues) this.events.limitCrossed(true);
    return record.id;
  }

  /** Removes a value by id (whoever gave it). Returns whether it was there. */
  remove(id: number): boolean {
    const record = this.records.get(id);
    if (record === undefined) return false;
    this.removeRecord(record, true);
    return true;
  }

  /** Removes every value `owner` gave, over all its runs, or only those of run `run`. */
  removeFrom(owner: O, run?: number): void {
    for (const record of [...this.records.values()]) {
      if (record.owner === owner && (run === undefined || record.run === run)) this.removeRecord(record, true);
    }
  }

  /** Removes every value, newest first, without telling the limit (the instance is being disposed). */
  clear(): void {
    const records = [...this.records.values()];
    for (let i = records.length - 1; i >= 0; i--) this.removeRecord(records[i]!, false);
  }

  /** The values, in the order they were added. */
  entries(): DirectiveValue<unknown>[] {
    const out: DirectiveValue<unknown>[] = [];
    for (const record of this.records.values()) out.push(entryOf(record));
    return out;
  }

  /** Ids of the values `owner` gave that are held, in the order they were added. */
  idsFrom(owner: O): number[] {
    const out: number[] = [];
    for (const record of this.records.values()) if (record.owner === owner) out.push(record.id);
    return out;
  }

  private removeRecord(record: ValueRecord<O>, tellLimit: boolean): void {
    const wasFull = this.records.size === this.maxValues;
    if (!this.records.delete(record.id)) return;
    if (record.timer !== undefined) this.clock.clearTimeout(record.timer);
    this.events.removed(entryOf(record));
    if (record.release !== undefined) {
      try {
        record.release(record.value);
      } catch (error) {
        this.events.report(error, 'value release');
      }
    }
    if (tellLimit && wasFull) this.events.limitCrossed(false);
  }
}

function entryOf(record: ValueRecord<unknown>): DirectiveValue<unknown> {
  return { id: record.id, value: record.value, resolver: record.resolver, source: record.source };
}
