/**
 * `LookupService { service }`: the providers of a service that take requests, kept
 * current as the service table changes. A processor that needs a service waits for its
 * first value (as ProSA's injector waits for its target service). Resolved by the bus
 * itself from its table; remote providers (added by a transport) count like local ones.
 */
import type { DirectiveShape, Provider, Prosa, ResolverShape } from '../actors/index.js';
import { defineDirective } from './directive.js';
import { callbackResolver } from './resolver.js';

/** Parameters of {@link LookupService}. */
export interface LookupServiceParams {
  /** The service name. */
  service: string;
}

/** One provider of a service, as a value of {@link LookupService}. */
export interface ServiceProvider {
  /** The service. */
  readonly service: string;
  /** Name of the providing processor (on another instance for a remote provider). */
  readonly processor: string;
  /** True when the provider is on another instance. */
  readonly remote: boolean;
}

/**
 * The providers of a service: one value per provider in the table that accepts requests
 * now, in the order they came. A provider's value is added once it is in the table and
 * accepting (a local processor: once it serves), and removed as soon as it stops
 * accepting or leaves the table, in the same call that removes it: a value is never
 * handed out (`values`, `firstValue`, subscribers) for a provider that already left.
 * So a processor that crashes, or a remote instance that is lost or gone, loses its
 * value before the `unreachable` errors of its requests in flight reach their callers,
 * and a caller that waits again on such an error waits for a provider that is really back.
 */
export const LookupService = defineDirective<LookupServiceParams, ServiceProvider>({
  kind: 'LookupService',
  key: (params) => params.service,
  validate: (params) => {
    if (typeof params?.service !== 'string' || params.service.length === 0) {
      throw new TypeError(`service must be a non-empty string, got ${JSON.stringify(params?.service)}`);
    }
  },
});

/**
 * The bus-level handler that resolves {@link LookupService} from the bus's service table.
 * Its resolver reads the table at start, again inside every change of the service's
 * providers (the table's `watch`: a provider that leaves the table loses its value
 * before anything else runs), and on each `processor.state` event of the bus (a local
 * provider starts accepting as it enters `serving`, and stops as it leaves it); it holds
 * no timer. Every registry registers it.
 */
export function lookupServiceHandler(prosa: Prosa): (directive: DirectiveShape) => readonly ResolverShape[] | undefined {
  return (directive) => {
    if (!LookupService.is(directive)) return undefined;
    const service = directive.params.service;
    const resolver = callbackResolver<ServiceProvider>('table', (handle) => {
      const held = new Map<Provider, number>();
      const sync = () => {
        const providers = prosa.serviceTable.lookup(service)?.providers ?? [];
        for (const [provider, id] of held) {
          if (!provider.accepting || !providers.includes(provider)) {
            held.delete(provider);
            handle.remove(id);
          }
        }
        for (const provider of providers) {
          if (!provider.accepting || held.has(provider)) continue;
          const id = handle.add({ service, processor: provider.processor, remote: provider.remote });
          if (id === undefined) break; // at the directive's value limit
          held.set(provider, id);
        }
      };
      sync();
      handle.idle();
      const unwatch = prosa.serviceTable.watch(service, sync);
      prosa.events.on('processor.state', sync);
      return () => {
        unwatch();
        prosa.events.off('processor.state', sync);
      };
    });
    return [resolver];
  };
}
