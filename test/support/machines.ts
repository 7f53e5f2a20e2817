/**
 * Helpers for machine tests that use XState's pure `transition()`: nothing may run there.
 */

/** Ports whose every method throws: a pure transition must call none of them. */
export function untouchablePorts<T extends object>(): T {
  return new Proxy({} as T, {
    get: (_target, name) => () => {
      throw new Error(`port ${String(name)} called by a pure transition`);
    },
  });
}
