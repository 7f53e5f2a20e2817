/**
 * Deadlines: one coarse timer per bus, sweeping a timer wheel.
 *
 * One timer instead of a `setTimeout` per request (a timer set and cleared costs ~350 ns
 * each; a wheel link costs a few). Sending reads no clock either (a `performance.now()`
 * costs about a third of a whole request): a new request waits in the wheel's intake, and
 * the next sweep stamps it with the sweep's time and places it at that time plus its
 * timeout. So a request never times out early, and at most about three ticks late (more
 * only while the event loop is blocked, when no timer can fire anyway).
 */
import type { RequestMsg } from './msg.js';

/** Wheel slots; with the default 10 ms tick the wheel spans ~5 s per turn. */
const SLOTS = 512;
const MASK = SLOTS - 1;
/** `RequestMsg.slot` of a request waiting in the intake. */
const INTAKE = -2;

/**
 * A hashed timer wheel of {@link RequestMsg}s. A placed request sits in the slot of its
 * deadline's tick; a request due more than one turn away stays in its slot and is
 * skipped until its turn comes. The timer runs only while requests are scheduled.
 */
export class DeadlineWheel {
  private readonly heads: (RequestMsg | null)[] = new Array<RequestMsg | null>(SLOTS).fill(null);
  /** Requests scheduled since the last sweep, not placed yet. */
  private intake: RequestMsg | null = null;
  private readonly tickMs: number;
  private readonly now: () => number;
  private readonly expire: (msg: RequestMsg) => void;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Last tick swept; slots up to and including it hold nothing already due. */
  private swept = 0;
  private scheduled = 0;
  private readonly sweepBound: () => void;

  /**
   * @param tickMs - timer resolution
   * @param now - the clock deadlines are measured on
   * @param expire - called once for each request whose deadline passed
   */
  constructor(tickMs: number, now: () => number, expire: (msg: RequestMsg) => void) {
    this.tickMs = tickMs;
    this.now = now;
    this.expire = expire;
    this.sweepBound = () => this.sweep();
  }

  /** Number of requests on the wheel (placed or in the intake). */
  get size(): number {
    return this.scheduled;
  }

  /** Takes a request in; the next sweep places it at its deadline. */
  schedule(msg: RequestMsg): void {
    const head = this.intake;
    msg.slot = INTAKE;
    msg.prevDue = null;
    msg.nextDue = head;
    if (head !== null) head.prevDue = msg;
    this.intake = msg;
    if (this.scheduled++ === 0 && this.timer === undefined) this.startTimer();
  }

  /** Takes a request off the wheel; a no-op when it is not on it. */
  unschedule(msg: RequestMsg): void {
    const slot = msg.slot;
    if (slot === -1) return;
    const prev = msg.prevDue;
    const next = msg.nextDue;
    if (prev !== null) prev.nextDue = next;
    else if (slot === INTAKE) this.intake = next;
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

  /** Expires every placed request whose deadline has passed, then places the intake. Called by the timer. */
  sweep(): void {
    const now = this.now();
    const current = Math.floor(now / this.tickMs);
    // After a long stall, one full turn covers every slot.
    const from = Math.max(this.swept + 1, current - MASK);
    for (let tick = from; tick <= current; tick++) {
      let msg: RequestMsg | null = this.heads[tick & MASK]!;
      while (msg !== null) {
        const next: RequestMsg | null = msg.nextDue;
        if (msg.due <= now) {
          this.unschedule(msg);
          this.expire(msg);
        }
        msg = next;
      }
    }
    this.swept = current;
    this.placeIntake(now);
    if (this.scheduled === 0) this.stop();
  }

  /** Stamps each request of the intake (unless it was stamped at send) and places it. */
  private placeIntake(now: number): void {
    let msg = this.intake;
    this.intake = null;
    while (msg !== null) {
      const next: RequestMsg | null = msg.nextDue;
      let due = msg.due;
      if (due !== due) msg.due = due = now + msg.timeoutMs; // not stamped at send
      if (due <= now) {
        // Stamped at send, and a stalled loop kept it in the intake past its deadline.
        msg.slot = -1;
        msg.prevDue = msg.nextDue = null;
        this.scheduled--;
        this.expire(msg);
      } else {
        const slot = Math.ceil(due / this.tickMs) & MASK;
        const head = this.heads[slot]!;
        msg.slot = slot;
        msg.prevDue = null;
        msg.nextDue = head;
        if (head !== null) head.prevDue = msg;
        this.heads[slot] = msg;
      }
      msg = next;
    }
  }

  private startTimer(): void {
    this.swept = Math.floor(this.now() / this.tickMs) - 1;
    this.timer = setInterval(this.sweepBound, this.tickMs);
  }
}
