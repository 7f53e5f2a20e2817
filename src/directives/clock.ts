/**
 * The clock the directive layer waits on: grace periods, value lifetimes, resolver
 * backoff and the timeouts of waits. XState's own `Clock` has this shape, so one clock
 * (XState's `SimulatedClock` in tests) drives the machines and the rest alike.
 */

/** Sets and clears timers. */
export interface Clock {
  /** Calls `fn` once after `ms` milliseconds; returns what `clearTimeout` takes. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer; a timer that already fired or was cleared is ignored. */
  clearTimeout(id: unknown): void;
}

/** The process's timers. */
export const systemClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};
