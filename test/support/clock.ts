import type { Clock } from '../../src/index.js';

/**
 * A clock a test advances by hand. Timers fire in order of due time, ties in the order
 * they were set (XState's SimulatedClock leaves ties unordered); timers set while firing
 * fire in the same advance if due.
 */
export class ManualClock implements Clock {
  now = 0;
  private seq = 0;
  private readonly timers = new Map<number, { due: number; seq: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): number {
    const id = ++this.seq;
    this.timers.set(id, { due: this.now + Math.max(0, ms), seq: id, fn });
    return id;
  }

  clearTimeout(id: unknown): void {
    this.timers.delete(id as number);
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let next: [number, { due: number; seq: number; fn: () => void }] | undefined;
      for (const entry of this.timers) {
        const [, timer] = entry;
        if (timer.due > target) continue;
        if (next === undefined || timer.due < next[1].due || (timer.due === next[1].due && timer.seq < next[1].seq)) next = entry;
      }
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.now = next[1].due;
      next[1].fn();
    }
    this.now = target;
  }
}
