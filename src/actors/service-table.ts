/**
 * The service table: service name -> ordered providers. Only Main writes it (through
 * its machine's actions); requesters read it. Lookup is one `Map.get`, whatever the
 * number of services; picking a provider is round-robin over the entry's providers.
 */
import type { Provider } from './msg.js';

/** The providers of one service, with the round-robin cursor shared by all requesters. */
export class ServiceEntry {
  /** Service name. */
  readonly name: string;
  /** Providers, in registration order. */
  readonly providers: Provider[] = [];
  private cursor = 0;

  constructor(name: string) {
    this.name = name;
  }

  /**
   * The next provider, round-robin, among those accepting requests with room for one
   * more; null when none has.
   */
  next(): Provider | null {
    const providers = this.providers;
    const n = providers.length;
    for (let i = 0; i < n; i++) {
      let index = this.cursor + i;
      if (index >= n) index -= n;
      const provider = providers[index]!;
      if (provider.accepting && provider.inFlight < provider.maxInFlight) {
        this.cursor = index + 1 === n ? 0 : index + 1;
        return provider;
      }
    }
    return null;
  }

  /** True when some provider accepts requests but every accepting one is full. */
  isFull(): boolean {
    let accepting = false;
    for (const provider of this.providers) {
      if (!provider.accepting) continue;
      if (provider.inFlight < provider.maxInFlight) return false;
      accepting = true;
    }
    return accepting;
  }
}

/** Read access to the service table, as requesters and tools see it. */
export interface ServiceTableView {
  /** Incremented on every change. */
  readonly version: number;
  /** The entry of a service, or undefined when no provider serves it. */
  lookup(service: string): ServiceEntry | undefined;
  /** Service name -> provider processor names, as a plain object. */
  snapshot(): Record<string, string[]>;
}

/** The service table of one bus. */
export class ServiceTable implements ServiceTableView {
  version = 0;
  private readonly entries = new Map<string, ServiceEntry>();

  lookup(service: string): ServiceEntry | undefined {
    return this.entries.get(service);
  }

  /** Adds `provider` to `service`; a duplicate add is ignored. Returns whether it changed. */
  add(service: string, provider: Provider): boolean {
    let entry = this.entries.get(service);
    if (entry === undefined) {
      entry = new ServiceEntry(service);
      this.entries.set(service, entry);
    } else if (entry.providers.includes(provider)) {
      return false;
    }
    entry.providers.push(provider);
    this.version++;
    return true;
  }

  /** Removes `provider` from `service`. Returns whether it changed. */
  remove(service: string, provider: Provider): boolean {
    const entry = this.entries.get(service);
    if (entry === undefined) return false;
    const index = entry.providers.indexOf(provider);
    if (index < 0) return false;
    entry.providers.splice(index, 1);
    if (entry.providers.length === 0) this.entries.delete(service);
    this.version++;
    return true;
  }

  /** Service names that have at least one provider. */
  services(): IterableIterator<string> {
    return this.entries.keys();
  }

  snapshot(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [name, entry] of this.entries) out[name] = entry.providers.map((p) => p.processor);
    return out;
  }
}
