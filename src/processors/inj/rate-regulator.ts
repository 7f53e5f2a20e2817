/**
 * Rate regulator of the injector: a token bucket that admits sends at a target rate, and
 * an AIMD-style speed control on top: the rate drops by a factor on a timeout (at most
 * once per backoff window) and climbs back linearly to the maximum. Pure: the caller
 * passes the time, so tests drive it with a fake clock.
 */

/** Options of a {@link RateRegulator}. */
export interface RateRegulatorOptions {
  /** Target rate, in sends per second; the rate never exceeds it. */
  maxSpeed: number;
  /**
   * Factor the rate is multiplied by on a backoff.
   * @defaultValue 0.5
   */
  backoffFactor?: number;
  /**
   * Time to climb from zero to `maxSpeed` after a backoff (linear ramp).
   * @defaultValue 2000
   */
  rampMs?: number;
  /**
   * Least time between two backoffs: a burst of timeouts from one stall counts once.
   * @defaultValue 1000
   */
  backoffWindowMs?: number;
  /**
   * Size of the bucket, as time at the current rate: sends that a late timer or a busy
   * event loop missed are made up for, up to this much (the sender's concurrency cap
   * still bounds how many go out at once).
   * @defaultValue 250
   */
  burstMs?: number;
}

/** A token bucket with a rate that backs off and recovers. */
export class RateRegulator {
  /** The target rate. */
  readonly maxSpeed: number;
  /** The lowest the rate goes: 1 per second (or `maxSpeed` when lower). */
  readonly minSpeed: number;
  private readonly factor: number;
  private readonly rampMs: number;
  private readonly windowMs: number;
  private readonly burstMs: number;
  private current: number;
  private tokens = 1;
  private last: number;
  private lastBackoff = -Infinity;

  /** A regulator at full speed with one send admitted at once. `now` in milliseconds. */
  constructor(options: RateRegulatorOptions, now: number) {
    this.maxSpeed = options.maxSpeed;
    this.minSpeed = Math.min(1, options.maxSpeed);
    this.factor = options.backoffFactor ?? 0.5;
    this.rampMs = options.rampMs ?? 2_000;
    this.windowMs = options.backoffWindowMs ?? 1_000;
    this.burstMs = options.burstMs ?? 250;
    this.current = options.maxSpeed;
    this.last = now;
  }

  /** The current rate, in sends per second. */
  get rate(): number {
    return this.current;
  }

  /** Starts afresh at `now`: one send admitted, no credit for the time before. Keeps the rate. */
  reset(now: number): void {
    this.tokens = 1;
    this.last = now;
  }

  /** Admits one send at `now` if the rate allows it (and counts it); false otherwise. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds from `now` until the next send is admitted (0 when one is now). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.current) * 1_000;
  }

  /**
   * Slows down after a timeout: the rate is multiplied by `backoffFactor` (not below
   * `minSpeed`), unless the last backoff was less than `backoffWindowMs` ago. Returns
   * whether the rate dropped.
   */
  backOff(now: number): boolean {
    this.refill(now);
    if (now - this.lastBackoff < this.windowMs) return false;
    this.lastBackoff = now;
    this.current = Math.max(this.minSpeed, this.current * this.factor);
    this.tokens = Math.min(this.tokens, this.capacity());
    return true;
  }

  private capacity(): number {
    return Math.max(1, (this.current * this.burstMs) / 1_000);
  }

  private refill(now: number): void {
    const dt = now - this.last;
    if (dt <= 0) return;
    this.last = now;
    if (this.current < this.maxSpeed) {
      this.current = Math.min(this.maxSpeed, this.current + (this.maxSpeed * dt) / this.rampMs);
    }
    this.tokens = Math.min(this.capacity(), this.tokens + (this.current * dt) / 1_000);
  }
}
