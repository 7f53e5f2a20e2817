/**
 * Peers: the other instances this one hears of on the control subject, each followed by
 * a peer lifecycle actor (missed-heartbeat detector), and the remote services they
 * serve. A service enters this instance's table (as one {@link RemoteService}) when the
 * first peer announces it, and leaves when the last one stops serving it, says bye, or
 * is lost; all of them leave while the link is down, and come back with it.
 */
import type { Logger } from 'pino';
import { createActor, type Actor } from 'xstate';
import type { InspectOption } from '../actors/inspect.js';
import { peerMachine, peerState, type PeerPorts, type PeerState } from '../machines/peer.machine.js';
import type { OutgoingRequests } from './outgoing.js';
import { RemoteService } from './remote-service.js';
import type { Subjects } from './subjects.js';
import type { Announcement } from './wire.js';

/** Another instance, as {@link Peers.list} shows it. */
export interface PeerInfo {
  /** Its instance id. */
  instance: string;
  /** Its bus name. */
  name: string;
  /** Its lifecycle state. */
  state: PeerState;
  /** Services it serves, as it last announced them (none once it left). */
  services: string[];
}

/** Where the remote services go: this instance's service table. */
export interface RemoteTable {
  /** Adds `service` (its `service` names it) to the table; a duplicate add is ignored. */
  add(service: RemoteService): void;
  /** Removes `service` from the table. */
  remove(service: RemoteService): void;
}

/** What peers need of the transport. */
export interface PeersOptions {
  /** The table the remote services enter and leave. */
  table: RemoteTable;
  /** The bus's XState inspection observer, for the peer machines. */
  inspect: InspectOption | undefined;
  subjects: Subjects;
  /** Requests in flight at the peers, ended when one is lost or gone. */
  outgoing: OutgoingRequests;
  /** The transport's name: the processor of its remote services. */
  transport: string;
  /** This instance's id: its own announcements are ignored. */
  instance: string;
  /** Heartbeats a peer may miss before it counts as lost. */
  missedHeartbeats: number;
  /** `maxInFlight` of each remote service. */
  maxInFlight: number;
  /** Most remote services taken, counted once per instance that serves each. */
  maxRemoteServices: number;
  /** Told of each service not taken because `maxRemoteServices` were. */
  refuseService: (instance: string, service: string) => void;
  /** Told when a peer joined, changed state, or changed services. */
  onChange: (peer: PeerInfo) => void;
  logger: Logger;
}

/** A peer: its lifecycle actor (the one record of its state and id), and the services it serves. */
class Peer {
  readonly services = new Set<string>();
  constructor(
    readonly name: string,
    readonly actor: Actor<typeof peerMachine>,
  ) {}

  get instance(): string {
    return this.actor.getSnapshot().context.instance;
  }

  get state(): PeerState {
    return peerState(this.actor.getSnapshot());
  }

  info(): PeerInfo {
    return { instance: this.instance, name: this.name, state: this.state, services: [...this.services] };
  }
}

/** The other instances, and the remote services they make. */
export class Peers implements PeerPorts {
  private readonly peers = new Map<string, Peer>();
  private readonly routes = new Map<string, RemoteService>();
  private readonly options: PeersOptions;
  /** True while the remote services are in the table: from `setLinkUp(true)` to `setLinkUp(false)`. */
  private listed = false;
  /** Services taken, summed over the peers (what `maxRemoteServices` bounds). */
  private taken = 0;
  /** Set by {@link clear}: the link closes, nothing of the others is heard or kept any more. */
  private closed = false;

  constructor(options: PeersOptions) {
    this.options = options;
  }

  /** Every peer heard of and not yet lost or gone. */
  list(): PeerInfo[] {
    return [...this.peers.values()].map((peer) => peer.info());
  }

  /** True while `instance` is followed: heard of, and not yet lost or gone. */
  has(instance: string): boolean {
    return this.peers.has(instance);
  }

  /** How many peers are followed. */
  get size(): number {
    return this.peers.size;
  }

  /**
   * Takes an announcement of another instance (its own are ignored, and all of them once
   * {@link clear} was called). Returns true for a `hello`, which this instance answers
   * with a heartbeat.
   */
  hear(announcement: Announcement): boolean {
    const id = announcement.instance;
    if (this.closed || id === this.options.instance) return false;
    let peer = this.peers.get(id);
    if (announcement.kind === 'gone') {
      peer?.actor.send({ type: 'peer.gone' });
      return false;
    }
    if (peer === undefined) {
      if (announcement.kind === 'bye') return false; // leaving before we knew it: nothing to withdraw
      peer = this.join(announcement);
    } else if (announcement.kind === 'bye') {
      peer.actor.send({ type: 'peer.bye' });
      return false;
    } else {
      peer.actor.send({ type: 'peer.heartbeat' });
    }
    if (peer.state === 'alive') this.adopt(peer, announcement.services);
    return announcement.kind === 'hello';
  }

  /**
   * The link went up or down: remote services are in the table, taking requests, only
   * while it is up (so a wait for a service wakes again when the link comes back).
   */
  setLinkUp(up: boolean): void {
    if (this.closed || up === this.listed) return;
    this.listed = up;
    for (const route of this.routes.values()) {
      route.accepting = up;
      if (up) this.options.table.add(route);
      else this.options.table.remove(route);
    }
  }

  /**
   * Forgets every peer (their machines stop, and with them their missed-heartbeat
   * timers) and removes every remote service from the table: the transport closes. For
   * good: announcements that still arrive before the connection is closed are ignored,
   * so nothing of the peers runs after the link closed (no join, no timer, no log).
   */
  clear(): void {
    this.closed = true;
    for (const peer of this.peers.values()) peer.actor.stop();
    this.peers.clear();
    for (const route of this.routes.values()) {
      route.accepting = false;
      this.options.table.remove(route);
    }
    this.routes.clear();
    this.taken = 0;
  }

  // PeerPorts ----------------------------------------------------------------

  withdrawServices(instance: string): void {
    const peer = this.peers.get(instance);
    if (peer === undefined || peer.services.size === 0) return;
    for (const service of peer.services) this.leave(service, instance);
    this.taken -= peer.services.size;
    peer.services.clear();
  }

  endInFlight(instance: string, why: 'lost' | 'gone'): void {
    const ended = this.options.outgoing.endTakenBy(instance, why);
    const log = this.options.logger;
    if (why === 'lost') log.warn({ peer: instance, ended }, 'instance lost: heartbeats missed');
    else log.info({ peer: instance, ended }, 'instance gone');
  }

  // internals ----------------------------------------------------------------

  private join(announcement: Announcement): Peer {
    const id = announcement.instance;
    const actor = createActor(peerMachine, {
      id: `peer:${id}`,
      inspect: this.options.inspect,
      input: {
        instance: id,
        peerTimeoutMs: announcement.intervalMs * this.options.missedHeartbeats,
        ports: this,
      },
    });
    const peer = new Peer(announcement.name, actor);
    this.peers.set(id, peer);
    let told: PeerState = 'alive'; // the state the last change told of
    actor.subscribe((snapshot) => {
      const state = peerState(snapshot);
      if (state === told) return;
      told = state;
      if (snapshot.status === 'done' && this.peers.get(id) === peer) this.peers.delete(id);
      this.options.onChange(peer.info());
    });
    actor.start();
    this.options.logger.info({ peer: id, peerName: announcement.name, services: announcement.services }, 'instance joined');
    this.options.onChange(peer.info());
    return peer;
  }

  /** Makes the peer's services the announced ones. */
  private adopt(peer: Peer, services: readonly string[]): void {
    let changed = false;
    const announced = new Set(services);
    for (const service of peer.services) {
      if (announced.has(service)) continue;
      peer.services.delete(service);
      this.taken--;
      this.leave(service, peer.instance);
      changed = true;
    }
    for (const service of announced) {
      if (peer.services.has(service)) continue;
      if (this.taken >= this.options.maxRemoteServices) {
        this.options.refuseService(peer.instance, service);
        continue;
      }
      this.taken++;
      peer.services.add(service);
      this.enter(service, peer.instance);
      changed = true;
    }
    if (changed) {
      this.options.logger.info({ peer: peer.instance, services: [...peer.services] }, 'instance services');
      this.options.onChange(peer.info());
    }
  }

  private enter(service: string, instance: string): void {
    let route = this.routes.get(service);
    if (route === undefined) {
      const { transport, maxInFlight, subjects, outgoing } = this.options;
      route = new RemoteService(transport, service, subjects.service(service), maxInFlight, this.listed, outgoing);
      this.routes.set(service, route);
      if (this.listed) this.options.table.add(route);
    }
    route.join(instance);
  }

  private leave(service: string, instance: string): void {
    const route = this.routes.get(service);
    if (route === undefined || !route.leave(instance) || route.instances.length > 0) return;
    this.routes.delete(service);
    this.options.table.remove(route);
  }
}
