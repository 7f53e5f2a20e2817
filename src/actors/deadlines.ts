/**
 * Deadlines: one coarse timer per bus sweeps a timer wheel, instead of a `setTimeout`
 * per request (a timer set and cleared costs ~350 ns each; a wheel link costs a few).
 */
import type { RequestMsg } from './msg.js';

/** Wheel slots; with the default 10 ms tick the wheel spans ~5 s per turn. */
const SLOTS = 512;
const MASK = SLOTS - 1;

/**
 * A hashed timer wheel of {@link RequestMsg}s. A request sits in the slot of its
 * deadline's tick; a request due more than one turn away stays in its slot and is
 * skipped until its turn comes. The timer runs only while requests are scheduled.
 */
export class DeadlineWheel {
  private readonly heads: (RequestMsg | null)[] = new Array<RequestMsg | null>(SLOTS).fill(null);
  private readonly tickMs: number;
  private readonly now: () => number;
  private readonly expire: (msg: RequestMsg) => void;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Last tick swept; slots up to and including it hold nothing already due. */
  private swept = 0;
  private scheduled = 0;
  private readonly sweepBound: () => void;

  /**
   * @param tickMs - timer resolution: a request times out at most this late
   * @param now - the clock deadlines are measured on
   * @param expire - called once for each request whose deadline passed
   */
  constructor(tickMs: number, now: () => number, expire: (msg: RequestMsg) => void) {
    this.tickMs = tickMs;
    this.now = now;
    this.expire = expire;
    this.sweepBound = () => this.sweep();
  }

  /** Number of requests on the wheel. */
  get size(): number {
    return this.scheduled;
  }

  /** Puts a request on the wheel, at its deadline. */
  schedule(msg: RequestMsg): void {
    const tick = Math.ceil(msg.deadline / this.tickMs);
    const slot = tick & MASK;
    const head = this.heads[slot]!;
    msg.slot = slot;
    msg.prevDue = null;
    msg.nextDue = head;
    if (head !== null) head.prevDue = msg;
    this.heads[slot] = msg;
    if (this.scheduled++ === 0 && this.timer === undefined) this.startTimer();
  }

  /** Takes a request off the wheel; a no-op when it is not on it. */
  unschedule(msg: RequestMsg): void {
    const slot = msg.slot;
    if (slot < 0) return;
    const prev = msg.prevDue;
    const next = msg.nextDue;
    if (prev !== null) prev.nextDue = next;
    else this.heads[slot] = next;
    if (next !== null) next.prevDue = prev;
    msg.prevDue = msg.nextDue = null;
    msg.slot = -1;
    this.scheduled--;
  }

  /** Stops the timer. Requests stay on the wheel (and expire if the timer restarts). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Expires every request whose deadline has passed. Called by the timer. */
  sweep(): void {
    const now = this.now();
    const current = Math.floor(now / this.tickMs);
    // After a long stall, one full turn covers every slot.
    const from = Math.max(this.swept + 1, current - MASK);
    for (let tick = from; tick <= current; tick++) {
      let msg: RequestMsg | null = this.heads[tick & MASK]!;
      while (msg !== null) {
        const next: RequestMsg | null = msg.nextDue;
        if (msg.deadline <= now) {
          this.unschedule(msg);
          this.expire(msg);
        }
        msg = next;
      }
    }
    this.swept = current;
    if (this.scheduled === 0) this.stop();
  }

  private startTimer(): void {
    this.swept = Math.floor(this.now() / this.tickMs) - 1;
    this.timer = setInterval(this.sweepBound, this.tickMs);
  }
}
