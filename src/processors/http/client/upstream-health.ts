/**
 * Whether an upstream has been down for too long: since the first failed connection
 * with no answer after it. Fed by the calls themselves, so it costs nothing while the
 * upstream answers.
 */

/** Tracks how long an upstream has been unreachable. Times in `performance.now()` ms. */
export class UpstreamHealth {
  private readonly downAfterMs: number;
  private downSince: number | undefined;

  /** @param downAfterMs how long failures must last (with no answer between) before the upstream counts as down */
  constructor(downAfterMs: number) {
    this.downAfterMs = downAfterMs;
  }

  /** The upstream answered (with any status): it is up. */
  answered(): void {
    this.downSince = undefined;
  }

  /**
   * A call could not reach the upstream at `now`. Returns how long it has been down when
   * that is at least the threshold (the caller should give up on it), else `undefined`.
   */
  unreachable(now: number): number | undefined {
    if (this.downSince === undefined) this.downSince = now;
    const downMs = now - this.downSince;
    return downMs >= this.downAfterMs ? downMs : undefined;
  }

  /** Forgets past failures (a new run starts after a probe reached the upstream). */
  reset(): void {
    this.downSince = undefined;
  }
}
