/** Processors built from the built-in factories, on a bus (a quiet one: `testBus` of ./bus.ts). */
import type { Prosa } from '../../src/actors/prosa.js';
import type { ProcessorFactory } from '../../src/config/factory.js';
import { directivesOf } from '../../src/directives/directives.js';

/**
 * Adds a processor built by `factory` from `settings` (parsed by its schema, defaults
 * filled) to `prosa`; returns what the factory built. `directives: false` leaves the
 * bus's directive registry out of the factory context.
 */
export function addProcessor<F extends ProcessorFactory>(
  prosa: Prosa,
  factory: F,
  name: string,
  settings: unknown,
  options: { directives?: boolean } = {},
) {
  const parsed: unknown = factory.settings.parse(settings);
  const product = factory.create(parsed, {
    name,
    instance: prosa.name,
    logger: prosa.logger.child({ proc: name }),
    directives: options.directives === false ? undefined : directivesOf(prosa),
  });
  const processor = prosa.processor(name, { services: product.services, adaptor: product.adaptor });
  return { product, processor };
}
