/**
 * Restart policy: exponential backoff and a restart budget, as Erlang/OTP supervisors
 * do. Pure functions only; the processor machine calls them from its actions and guards.
 */

/** How a crashed processor is restarted. */
export interface RestartPolicy {
  /**
   * Delay before the first restart after a crash; doubles with each consecutive crash.
   * @defaultValue 100
   */
  delayMs: number;
  /**
   * Ceiling of the doubled delay.
   * @defaultValue 10000
   */
  maxDelayMs: number;
  /**
   * Most crashes tolerated within `windowMs`; one more and the processor ends in `failed`.
   * @defaultValue 10
   */
  maxRestarts: number;
  /**
   * Sliding window over which crashes are counted for `maxRestarts`.
   * @defaultValue 60000
   */
  windowMs: number;
  /**
   * Time a processor must stay `serving` before its backoff goes back to `delayMs`.
   * @defaultValue 1000
   */
  resetAfterMs: number;
}

/** The defaults of {@link RestartPolicy}. */
export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicy> = Object.freeze({
  delayMs: 100,
  maxDelayMs: 10_000,
  maxRestarts: 10,
  windowMs: 60_000,
  resetAfterMs: 1_000,
});

/** Fills the missing fields of a partial policy with the defaults. */
export function restartPolicy(partial: Partial<RestartPolicy> = {}): RestartPolicy {
  const policy = { ...DEFAULT_RESTART_POLICY };
  for (const key of Object.keys(policy) as (keyof RestartPolicy)[]) {
    const value = partial[key];
    if (value !== undefined) policy[key] = value;
  }
  return policy;
}

/**
 * Delay before restart number `consecutive` (1 for the first crash in a row):
 * `delayMs * 2^(consecutive-1)`, capped at `maxDelayMs`, plus the `retryAfterMs` the
 * error asked for.
 */
export function backoffDelay(policy: RestartPolicy, consecutive: number, retryAfterMs = 0): number {
  const exponent = Math.max(0, consecutive - 1);
  const doubled = policy.delayMs * 2 ** Math.min(exponent, 52);
  return Math.min(doubled, policy.maxDelayMs) + retryAfterMs;
}

/** Crash times still inside the window that ends at `now`, with `now` added. */
export function crashesInWindow(policy: RestartPolicy, times: readonly number[], now: number): number[] {
  const since = now - policy.windowMs;
  const kept = times.filter((t) => t > since);
  kept.push(now);
  return kept;
}
