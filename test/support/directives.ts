import { callbackResolver, type Resolver, type ResolverHandle } from '../../src/index.js';

/** A run of a {@link puppet} resolver, for a test to drive. */
export interface PuppetRun<V> {
  readonly handle: ResolverHandle<V>;
  /** True until the bus ends the run (its cleanup ran). */
  active: boolean;
}

/**
 * A resolver a test drives by hand: every run the bus starts is pushed on `runs`; the
 * test adds, removes, marks idle or fails through the run's handle. With `throwOnStart`
 * set, the next start throws synchronously.
 */
export function puppet<V>(name = 'puppet', options: { idleAtStart?: boolean } = {}) {
  const runs: PuppetRun<V>[] = [];
  const control = { throwOnStart: 0, starts: 0 };
  const resolver: Resolver<V> = callbackResolver<V>(name, (handle) => {
    control.starts++;
    if (control.throwOnStart > 0) {
      control.throwOnStart--;
      throw new Error(`${name} threw at start`);
    }
    const run: PuppetRun<V> = { handle, active: true };
    runs.push(run);
    if (options.idleAtStart ?? true) handle.idle();
    return () => {
      run.active = false;
    };
  });
  /** The run now active, if any. */
  const current = () => runs.filter((run) => run.active).at(-1);
  return { resolver, runs, control, current };
}
