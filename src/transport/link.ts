/**
 * The link of a started NATS transport: one run of the link machine over one NATS
 * connection. It makes the parts a link is made of (requests both ways, peers,
 * announcements) and does what each state of the link machine asks of them.
 */
import { randomBytes } from 'node:crypto';
import type { Emitter } from 'mitt';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { createActor, waitFor, type Actor } from 'xstate';
import type { TransportHost } from '../actors/transport.js';
import type { NatsSettings } from '../config/transport-settings.js';
import { linkMachine, linkState, type LinkEvent, type LinkPorts, type LinkState } from '../machines/link.machine.js';
import { Announcements } from './announcements.js';
import { followStatus, ServerErrors, type NatsConnector } from './connection.js';
import { Identity } from './identity.js';
import { IncomingRequests } from './incoming.js';
import { OutgoingRequests } from './outgoing.js';
import { Peers, type PeerInfo, type RemoteTable } from './peers.js';
import { Refusals } from './refusals.js';
import type { NatsTransportEvents, NatsTransportStats } from './reports.js';
import { Subjects } from './subjects.js';

/** What a link is made from. */
export interface NatsLinkOptions {
  /** The transport's name. */
  name: string;
  /** The settings, defaults applied (secrets masked: the connector holds them). */
  settings: NatsSettings;
  connector: NatsConnector;
  host: TransportHost;
  /** The transport's own logger, if it was given one; else a child of the bus logger. */
  logger: Logger | undefined;
  /** Where link and peer events go. */
  events: Emitter<NatsTransportEvents>;
}

/** One started NATS transport: its link machine, its connection, and the parts they drive. */
export class NatsLink {
  /** This instance's id on the wire (its bus name and its key's fingerprint). */
  readonly instance: string;
  private readonly actor: Actor<typeof linkMachine>;
  private readonly host: TransportHost;
  private readonly settings: NatsSettings;
  private readonly connector: NatsConnector;
  private readonly events: Emitter<NatsTransportEvents>;
  private readonly logger: Logger;
  private readonly refusals: Refusals;
  private readonly serverErrors: ServerErrors;
  private readonly outgoing: OutgoingRequests;
  private readonly incoming: IncomingRequests;
  private readonly peers: Peers;
  private readonly announcements: Announcements;
  private connection: NatsConnection | undefined;

  constructor(options: NatsLinkOptions) {
    const { name, settings, host } = options;
    this.host = host;
    this.settings = settings;
    this.connector = options.connector;
    this.events = options.events;
    const identity = new Identity(host.name);
    const instance = identity.instance;
    this.instance = instance;
    const logger = options.logger ?? host.logger.child({ transport: name, instance });
    this.logger = logger;
    // The inbox token is never announced: only who saw a request knows where to answer it
    // (128 random bits, base64url: a plain subject token of 22 characters).
    const subjects = new Subjects(settings.subjectPrefix, randomBytes(16).toString('base64url'));
    const readLimits = { maxBytes: settings.maxPayloadBytes };
    const refusals = new Refusals(logger);
    this.refusals = refusals;
    this.serverErrors = new ServerErrors(logger);
    this.outgoing = new OutgoingRequests({
      instance,
      inbox: subjects.inbox,
      inboxWildcard: subjects.inboxWildcard,
      pickupTimeoutMs: settings.pickupTimeoutMs ?? settings.heartbeatMs * settings.missedHeartbeats,
      readLimits,
      logger,
      trusts: (from) => from === instance || this.peers.has(from),
      refuse: (why, from) => refusals.refuse('replies', why, from),
    });
    this.incoming = new IncomingRequests(host, subjects, { instance, readLimits, logger });
    this.peers = new Peers({
      table: remoteTable(host),
      inspect: host.inspect,
      subjects,
      outgoing: this.outgoing,
      transport: name,
      instance,
      missedHeartbeats: settings.missedHeartbeats,
      maxInFlight: settings.maxInFlight,
      maxRemoteServices: settings.maxRemoteServices,
      refuseService: (from) => refusals.refuse('services', `maxRemoteServices (${settings.maxRemoteServices}) reached`, from),
      onChange: (peer) => this.events.emit('peer', peer),
      logger,
    });
    this.announcements = new Announcements({
      identity,
      name: host.name,
      subjects,
      heartbeatMs: settings.heartbeatMs,
      maxPeers: settings.maxPeers,
      peers: this.peers,
      refusals,
      logger,
      services: () => this.incoming.services,
      serving: () => !this.actor.getSnapshot().context.withdrawn,
      onBeat: () => this.outgoing.sweep(performance.now()),
    });
    this.actor = createActor(linkMachine, { id: `link:${name}`, inspect: host.inspect, input: { name, ports: this.ports() } });
  }

  /** The link's state. */
  get state(): LinkState {
    return linkState(this.actor.getSnapshot());
  }

  /**
   * Starts the link machine: resolves once the link is up, or closed before it came up;
   * rejects with the `TransportError` of a failed first connect.
   */
  async open(): Promise<void> {
    this.host.setRouting(this.settings.prefer);
    this.host.events.on('table', this.onTable);
    let previous: LinkState | 'created' = 'created'; // the state the last `link` event told of
    this.actor.subscribe((snapshot) => {
      const state = linkState(snapshot);
      if (state === previous) return;
      const event = { state, previous };
      previous = state;
      this.events.emit('link', event);
    });
    this.actor.start();
    const settled = await waitFor(this.actor, (snapshot) => linkState(snapshot) !== 'connecting');
    if (linkState(settled) === 'failed') throw this.connector.failure(settled.context.error);
  }

  /** Stops serving other instances and tells them (once). */
  withdraw(): void {
    this.tell({ type: 'link.withdraw' });
  }

  /** Closes the link: resolves once the connection is closed. Safe to call twice. */
  async close(): Promise<void> {
    this.tell({ type: 'link.close' });
    await waitFor(this.actor, (snapshot) => snapshot.status === 'done');
    this.host.events.off('table', this.onTable);
  }

  /** The other instances heard of. */
  peerList(): PeerInfo[] {
    return this.peers.list();
  }

  /** Counters of remote requests, both ways, and the link's state. */
  stats(): NatsTransportStats {
    const snapshot = this.actor.getSnapshot();
    return {
      link: linkState(snapshot),
      disconnects: snapshot.context.disconnects,
      outgoing: this.outgoing.stats(),
      incoming: this.incoming.stats(),
      refused: this.refusals.stats(),
    };
  }

  /** Sends `event` to the link machine while it runs (a connection's last notices may come after it ended). */
  private tell(event: LinkEvent): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send(event);
  }

  /** The local services changed: serve them to the others (while up and serving), and say so at once. */
  private readonly onTable = (): void => {
    const snapshot = this.actor.getSnapshot();
    if (snapshot.context.withdrawn || linkState(snapshot) !== 'up') return;
    if (this.serveLocalServices()) this.announcements.announce('heartbeat');
  };

  /** Joins the queue groups of the local services (and leaves the others); returns whether that changed. */
  private serveLocalServices(): boolean {
    return this.incoming.serve(this.host.table.localServices());
  }

  // what the link machine asks --------------------------------------------------

  private ports(): LinkPorts {
    return {
      connect: (signal) => this.connect(signal),
      linkUp: ({ again, serve }) => {
        this.peers.setLinkUp(true);
        if (again) this.logger.info({ server: this.connection?.getServer() }, 'NATS link up again');
        if (serve) this.serveLocalServices();
        this.announcements.announce('hello');
        this.announcements.startBeating();
      },
      linkDown: () => {
        this.peers.setLinkUp(false);
        this.announcements.stopBeating();
        const ended = this.outgoing.endAll('unreachable', 'the NATS link went down with the request in flight');
        this.logger.warn({ ended }, 'NATS link down: requests for remote services fail with unreachable until it is back');
      },
      withdraw: () => {
        void this.incoming.withdraw(); // leaves every queue group at once; the others hear the bye
        this.announcements.announce('bye');
        this.logger.info('withdrew its services from the other instances');
      },
      end: () => {
        this.announcements.stopBeating();
        this.outgoing.endAll('shutdown', 'the transport closed with the request in flight');
        this.outgoing.use(undefined);
        this.peers.clear();
        this.announcements.announce('gone');
      },
      flush: () => this.connection?.flush() ?? Promise.resolve(),
      disconnect: async () => {
        const connection = this.connection;
        if (connection !== undefined && !connection.isClosed()) await connection.close();
        this.incoming.release();
        this.incoming.use(undefined);
        this.logger.info('NATS link closed');
      },
    };
  }

  private async connect(signal: AbortSignal): Promise<void> {
    const connection = await this.connector.open(this.instance);
    if (signal.aborted) {
      // the bus stopped while the link was connecting
      await connection.close();
      throw this.connector.abandoned();
    }
    this.connection = connection;
    this.outgoing.use(connection);
    this.incoming.use(connection);
    this.announcements.use(connection);
    // The server has the subscriptions before the link counts as up: an announcement or a
    // request another client sends once this bus has started is heard, not lost.
    await connection.flush();
    void followStatus(connection, { down: () => this.tell({ type: 'link.down' }), up: () => this.tell({ type: 'link.up' }) }, this.serverErrors);
    void connection.closed().then((error) => this.tell({ type: 'link.ended', error: error ?? new Error('the NATS connection closed') }));
    this.logger.info({ servers: this.connector.servers, server: connection.getServer() }, 'NATS link connected');
  }
}

/** The bus's table as the peers see it: the one place remote services enter and leave it. */
function remoteTable(host: TransportHost): RemoteTable {
  return {
    add: (service) => host.addRemote(service.service, service),
    remove: (service) => host.removeRemote(service.service, service),
  };
}
