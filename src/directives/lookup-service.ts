/**
 * `LookupService { service }`: the providers of a service, kept current as the service
 * table changes. A processor that needs a service waits for its first value (as ProSA's
 * injector waits for its target service). Resolved by the bus itself from its table.
 */
import type { DirectiveShape, ResolverShape } from '../actors/adaptor.js';
import type { Provider } from '../actors/msg.js';
import type { Prosa } from '../actors/prosa.js';
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

/** The providers of a service: one value per provider in the table, in table order when they came. */
export const LookupService = defineDirective<LookupServiceParams, ServiceProvider>({
  kind: 'LookupService',
  key: (params) => params.service,
  validate: (params) => {
    if (typeof params?.service !== 'string' || params.service.length === 0) {
      throw new TypeError(`service must be a non-empty string, got ${JSON.stringify(params?.service)}`);
    }
  },
});

/** The bus-level handler that resolves {@link LookupService} from the bus's service table. */
export function lookupServiceHandler(prosa: Prosa): (directive: DirectiveShape) => readonly ResolverShape[] | undefined {
  return (directive) => {
    if (!LookupService.is(directive)) return undefined;
    const service = directive.params.service;
    const resolver = callbackResolver<ServiceProvider>('table', (handle) => {
      const held = new Map<Provider, number>();
      const sync = () => {
        const providers = prosa.serviceTable.lookup(service)?.providers ?? [];
        for (const [provider, id] of held) {
          if (!providers.includes(provider)) {
            held.delete(provider);
            handle.remove(id);
          }
        }
        for (const provider of providers) {
          if (held.has(provider)) continue;
          const id = handle.add({ service, processor: provider.processor, remote: provider.remote });
          if (id === undefined) break; // at the directive's value limit
          held.set(provider, id);
        }
      };
      sync();
      handle.idle();
      prosa.events.on('table', sync);
      return () => prosa.events.off('table', sync);
    });
    return [resolver];
  };
}
