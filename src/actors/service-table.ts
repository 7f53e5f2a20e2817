/**
 * The service table (ProSA's `service`) and its one writer.
 *
 * Service name -> ordered providers. This module is its one writer: `ServiceTable.add`
 * and `ServiceTable.remove` are the only code that changes it, called by each processor
 * for its own services (as it starts and stops serving) and by transports for remote
 * providers. This departs from ProSA, whose Main is the table's one
 * writer: here Main neither writes the table nor relays writes to it, and a change costs
 * no message to Main and back (docs/bus.md, "The service table"). Requesters read it.
 * Lookup is one `Map.get`, whatever the number of services; picking a provider is
 * round-robin over the entry's providers, local ones first or remote ones first as the
 * table's {@link RoutingPolicy} says.
 */
import type { Provider } from './msg.js';

/**
 * Which providers of a service a request goes to first, when the service has both local
 * providers and remote ones (reached through a transport):
 * - `local-first`: a local provider with room; a remote one only when none has.
 * - `spread`: a remote one (a transport spreads its requests over every instance that
 *   serves the service, this one included); a local one only when no remote accepts.
 *
 * With only local (or only remote) providers both are plain round-robin.
 */
export type RoutingPolicy = 'local-first' | 'spread';

/** One provider of a service, as {@link ServiceTableView.detail} lists it. */
export interface ProviderInfo {
  /** Name of the providing processor (for a remote provider, the transport's name for it). */
  processor: string;
  /** True when the provider lives on another instance. */
  remote: boolean;
  /** For a remote provider: the instances behind it, when the transport says. */
  instances?: string[];
}

/** Which providers {@link ServiceEntry} may pick: any, local only, remote only. */
const ANY = 0;
const LOCAL = 1;
const REMOTE = 2;
type Pick = typeof ANY | typeof LOCAL | typeof REMOTE;

/** The providers of one service, with the round-robin cursor shared by all requesters. */
export class ServiceEntry {
  /** Service name. */
  readonly name: string;
  /** Providers, in registration order (changed only by the table). */
  get providers(): readonly Provider[] {
    return this.list;
  }
  private readonly list: Provider[] = [];
  /** @internal how many of `providers` are remote; maintained by `append` and `removeAt` */
  remotes = 0;
  /** @internal true under the `spread` policy; maintained by the table */
  preferRemote = false;
  private cursor = 0;

  constructor(name: string) {
    this.name = name;
  }

  /**
   * The next provider, round-robin, among those accepting requests with room for one
   * more, in the order the table's routing policy gives (local or remote first); null
   * when none has. Allocates nothing.
   */
  next(): Provider | null {
    const remotes = this.remotes;
    if (remotes === 0 || remotes === this.list.length) return this.pick(ANY);
    return this.preferRemote ? (this.pick(REMOTE) ?? this.pick(LOCAL)) : (this.pick(LOCAL) ?? this.pick(REMOTE));
  }

  /**
   * The next local provider, round-robin, with room for one more request; null when
   * none has. Transports use it to serve requests from other instances, so a request
   * never crosses back out.
   */
  nextLocal(): Provider | null {
    return this.remotes === 0 ? this.pick(ANY) : this.pick(LOCAL);
  }

  /** True when some provider is local. */
  hasLocal(): boolean {
    return this.remotes < this.list.length;
  }

  /**
   * The first provider from the cursor on, wrapping round, that `which` allows and that
   * accepts a request now; the cursor moves just past it. Whatever the cursor holds (the
   * table keeps it below the provider count, see `removeAt`), it reads only indices in range.
   */
  private pick(which: Pick): Provider | null {
    const providers = this.list;
    const n = providers.length;
    let index = this.cursor < n ? this.cursor : 0;
    for (let i = 0; i < n; i++) {
      const provider = providers[index]!;
      const after = index + 1 === n ? 0 : index + 1;
      if ((which === ANY || provider.remote === (which === REMOTE)) && provider.accepting && provider.inFlight < provider.maxInFlight) {
        this.cursor = after;
        return provider;
      }
      index = after;
    }
    return null;
  }

  /** @internal Appends a provider (the table checked it is not there yet). */
  append(provider: Provider): void {
    this.list.push(provider);
    if (provider.remote) this.remotes++;
  }

  /**
   * @internal Removes the provider at `index`. The cursor keeps pointing at the provider
   * that was to be picked next, so removals in any order, wherever the cursor stands,
   * neither skip a remaining provider nor leave the cursor past the end.
   */
  removeAt(index: number): void {
    const [provider] = this.list.splice(index, 1);
    if (provider?.remote === true) this.remotes--;
    if (index < this.cursor) this.cursor--;
    if (this.cursor >= this.list.length) this.cursor = 0;
  }

  /**
   * True when some provider accepts requests but every accepting one is full (with
   * `localOnly`, among the local providers).
   */
  isFull(localOnly = false): boolean {
    let accepting = false;
    for (const provider of this.list) {
      if (!provider.accepting || (localOnly && provider.remote)) continue;
      if (provider.inFlight < provider.maxInFlight) return false;
      accepting = true;
    }
    return accepting;
  }
}

/** Called by {@link ServiceTableView.watch} with the service whose providers changed. */
export type ServiceWatcher = (service: string) => void;

/** Read access to the service table, as requesters and tools see it. */
export interface ServiceTableView {
  /** Incremented on every change. */
  readonly version: number;
  /** The entry of a service, or undefined when no provider serves it. */
  lookup(service: string): ServiceEntry | undefined;
  /** Service name -> provider processor names, as a plain object. */
  snapshot(): Record<string, string[]>;
  /** Service name -> its providers, each marked local or remote, as plain objects. */
  detail(): Record<string, ProviderInfo[]>;
  /** Names of the services that have at least one local provider. */
  localServices(): string[];
  /** How requests choose between local and remote providers. */
  readonly routing: RoutingPolicy;
  /**
   * Calls `watcher` after each change of `service`'s providers (one added or removed),
   * synchronously, inside the write: nothing runs between a change and its watchers,
   * unlike the bus's `table` event, which comes once per batch on a later turn. A
   * processor writes its services from its lifecycle machine's actions, so a watcher must
   * be short, must not throw and must not write the table. Returns the disposer
   * (idempotent; a watcher removed during a call is not called again).
   */
  watch(service: string, watcher: ServiceWatcher): () => void;
}

/** The service table of one bus, and its one writer. */
export class ServiceTable implements ServiceTableView {
  version = 0;
  private readonly entries = new Map<string, ServiceEntry>();
  private readonly watchers = new Map<string, Set<ServiceWatcher>>();
  private policy: RoutingPolicy = 'local-first';
  private readonly onChange: () => void;

  /** @param onChange - called after each change (and its watchers), synchronously; must not throw */
  constructor(onChange: () => void = () => undefined) {
    this.onChange = onChange;
  }

  get routing(): RoutingPolicy {
    return this.policy;
  }

  /** Sets the routing policy of every entry, present and future. */
  set routing(policy: RoutingPolicy) {
    this.policy = policy;
    for (const entry of this.entries.values()) entry.preferRemote = policy === 'spread';
  }

  lookup(service: string): ServiceEntry | undefined {
    return this.entries.get(service);
  }

  /** Adds `provider` to `service`; a duplicate add is ignored (ProSA's rule). Returns whether it changed. */
  add(service: string, provider: Provider): boolean {
    let entry = this.entries.get(service);
    if (entry === undefined) {
      entry = new ServiceEntry(service);
      entry.preferRemote = this.policy === 'spread';
      this.entries.set(service, entry);
    } else if (entry.providers.includes(provider)) {
      return false;
    }
    entry.append(provider);
    this.version++;
    this.changed(service);
    return true;
  }

  /** Removes `provider` from `service`; removing one that is not there is ignored. Returns whether it changed. */
  remove(service: string, provider: Provider): boolean {
    const entry = this.entries.get(service);
    if (entry === undefined) return false;
    const index = entry.providers.indexOf(provider);
    if (index < 0) return false;
    entry.removeAt(index);
    if (entry.providers.length === 0) this.entries.delete(service);
    this.version++;
    this.changed(service);
    return true;
  }

  watch(service: string, watcher: ServiceWatcher): () => void {
    let set = this.watchers.get(service);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(service, set);
    }
    set.add(watcher);
    return () => {
      const current = this.watchers.get(service);
      if (current === undefined || !current.delete(watcher)) return;
      if (current.size === 0) this.watchers.delete(service);
    };
  }

  /** Tells the watchers of `service` (one removed by an earlier one in the same round is skipped), then `onChange`. */
  private changed(service: string): void {
    const set = this.watchers.get(service);
    if (set !== undefined) for (const watcher of [...set]) if (set.has(watcher)) watcher(service);
    this.onChange();
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

  detail(): Record<string, ProviderInfo[]> {
    const out: Record<string, ProviderInfo[]> = {};
    for (const [name, entry] of this.entries) {
      out[name] = entry.providers.map((p) => {
        const info: ProviderInfo = { processor: p.processor, remote: p.remote };
        if (p.instances !== undefined) info.instances = [...p.instances];
        return info;
      });
    }
    return out;
  }

  localServices(): string[] {
    const out: string[] = [];
    for (const [name, entry] of this.entries) if (entry.hasLocal()) out.push(name);
    return out;
  }
}
