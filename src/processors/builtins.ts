/**
 * Built-in processor kinds, and the registry that holds them: what `prosa run` and
 * `prosa validate` know without any registration.
 */
import type { ProcessorFactory } from '../config/factory.js';
import { KindRegistry } from '../config/registry.js';
import { httpClientFactory } from './http/client/factory.js';
import { httpServerFactory } from './http/server/factory.js';
import { injectorFactory } from './inj/factory.js';
import { stubFactory } from './stub/factory.js';

/** The built-in factories: `stub`, `inj`, `http-server` and `http-client`. */
export const BUILTIN_FACTORIES: readonly ProcessorFactory[] = Object.freeze([
  stubFactory,
  injectorFactory,
  httpServerFactory,
  httpClientFactory,
]);

/**
 * The built-in factories as a plugin module exports its kinds: what a worker thread
 * imports (through this module's URL, {@link KindRegistry.moduleOf}) to build a built-in
 * kind's adaptor.
 */
export const kinds: readonly ProcessorFactory[] = BUILTIN_FACTORIES;

/**
 * A new registry holding the built-in kinds, each registered with this module as its
 * module (so they can run on worker threads); register your own kinds on it
 * (`defaultKinds().register(myFactory)` returns the disposer). Each call returns a
 * fresh registry, so registrations never leak between instances or tests.
 */
export function defaultKinds(): KindRegistry {
  return new KindRegistry(BUILTIN_FACTORIES, { module: import.meta.url });
}
