/** Test helpers: a quiet bus, and processors built from the built-in factories on it. */
import { pino } from 'pino';
import { createProsa, type Prosa } from '../../src/actors/prosa.js';
import type { ProcessorFactory } from '../../src/config/factory.js';
import { directivesOf } from '../../src/directives/directives.js';

/** A bus that logs nothing, with a short shutdown. */
export function quietBus(name = 'test'): Prosa {
  return createProsa({ name, logger: pino({ level: 'silent' }), shutdown: { graceMs: 1000, terminateTimeoutMs: 500 } });
}

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

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
