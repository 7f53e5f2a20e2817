/**
 * Service directory: which services a bus serves now, and a wait for one to appear.
 * Given to factories so that a processor calling a service can wait for its provider
 * instead of counting start-up misses as failures.
 */
import type { Prosa } from '../actors/prosa.js';

/** Read-only questions about the services of a bus. */
export interface ServiceDirectory {
  /** True when at least one provider of `service` accepts requests now. */
  served(service: string): boolean;
  /**
   * Resolves once `service` is served (at once if it is). Rejects with the signal's
   * reason when `signal` aborts first. Listens to the bus's table and lifecycle events;
   * holds no timer.
   */
  whenServed(service: string, signal?: AbortSignal): Promise<void>;
}

/** The directory of a bus. */
export function serviceDirectory(prosa: Prosa): ServiceDirectory {
  const served = (service: string): boolean =>
    prosa.serviceTable.lookup(service)?.providers.some((provider) => provider.accepting) ?? false;
  return {
    served,
    whenServed(service, signal) {
      if (served(service)) return Promise.resolve();
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!served(service)) return;
          cleanup();
          resolve();
        };
        const abort = () => {
          cleanup();
          reject(signal?.reason);
        };
        const cleanup = () => {
          prosa.events.off('table', check);
          prosa.events.off('processor.state', check);
          signal?.removeEventListener('abort', abort);
        };
        // A provider accepts once it is serving, which may come just after the table event.
        prosa.events.on('table', check);
        prosa.events.on('processor.state', check);
        signal?.addEventListener('abort', abort, { once: true });
      });
    },
  };
}
