/**
 * The NATS transport: links prosa instances through a NATS server (or cluster).
 *
 * Each instance announces the services its local processors provide (a heartbeat on the
 * control subject every `heartbeatMs`, and at once on every change), joins each such
 * service's queue group, and hears the other instances' announcements: their services
 * enter its table as remote providers, and leave when they stop serving them, say bye,
 * or miss `missedHeartbeats` heartbeats. The link's lifecycle is the link machine; each
 * other instance's is a peer machine.
 *
 * ```ts
 * const prosa = createProsa({ name: 'a' });
 * prosa.attachTransport(natsTransport({ servers: ['nats://127.0.0.1:4222'] }));
 * await prosa.start(); // connects and announces
 * ```
 */
import { randomBytes } from 'node:crypto';
import mittModule, { type Emitter } from 'mitt';
import { connect, Events, type ConnectionOptions, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { createActor, waitFor, type Actor } from 'xstate';
import type { Transport, TransportHost } from '../actors/transport.js';
import { linkMachine, type LinkPorts, type LinkState } from '../machines/link.machine.js';
import { TransportError } from './errors.js';
import { IncomingRequests, type IncomingStats } from './incoming.js';
import { OutgoingRequests, type OutgoingStats } from './outgoing.js';
import { Peers, type PeerInfo } from './peers.js';
import {
  CONNECTION_OPTION_NAMES,
  natsSettingsSchema,
  type NatsSettings,
  type NatsSettingsInput,
} from '../config/transport-settings.js';
import { Subjects, subjectToken } from './subjects.js';
import { decodeAnnouncement, encodeAnnouncement, type Announcement } from './wire.js';
import { messageOf, safeError } from '../tvf/unknown-value.js';

// mitt's types describe its CommonJS build; under NodeNext its ESM default export is the function.
const mitt = mittModule as unknown as typeof mittModule.default;

/** Options of {@link natsTransport}: the `transport.nats` settings, plus what only code can give. */
export interface NatsTransportOptions extends NatsSettingsInput {
  /**
   * Name of the transport: in logs, and the processor name of remote services in the table.
   * @defaultValue 'nats'
   */
  transportName?: string;
  /** Logger; defaults to a child of the bus logger with `transport` bound. */
  logger?: Logger;
}

/** Events a NATS transport emits on `transport.events`. */
export type NatsTransportEvents = {
  /** The link changed state (`up`, `down`, ...). */
  link: { state: LinkState; previous: LinkState | 'created' };
  /** Another instance joined, changed services, or changed state (`leaving`, `lost`, `gone`). */
  peer: PeerInfo;
};

/** What {@link NatsTransport.stats} reports. */
export interface NatsTransportStats {
  /** The link's state. */
  link: LinkState;
  /** Times the link went down since it first came up. */
  disconnects: number;
  /** Requests this instance sent to others. */
  outgoing: OutgoingStats;
  /** Requests other instances sent to this one. */
  incoming: IncomingStats;
}

/** A NATS transport; attach it with `prosa.attachTransport(natsTransport(options))`. */
export class NatsTransport implements Transport {
  readonly name: string;
  /** Link and peer events. Handlers run synchronously; keep them short. */
  readonly events: Emitter<NatsTransportEvents> = mitt<NatsTransportEvents>();
  /** The settings, defaults applied. */
  readonly settings: NatsSettings;

  private readonly connectionOptions: Partial<ConnectionOptions>;
  private readonly ownLogger: Logger | undefined;
  private instanceId: string | undefined;
  private parts: Parts | undefined;
  private link: Actor<typeof linkMachine> | undefined;
  private connection: NatsConnection | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private withdrawn = false;
  private closing = false;
  private linkState: LinkState | 'created' = 'created';

  /** Validates the options; throws a `TransportError` (`InvalidSettings`) naming each bad field. */
  constructor(options: NatsTransportOptions) {
    const { transportName, logger, ...settings } = options;
    this.name = transportName ?? 'nats';
    const parsed = natsSettingsSchema.safeParse(settings);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
      throw new TransportError('InvalidSettings', this.name, `invalid settings: ${issues.join('; ')}`);
    }
    this.settings = parsed.data;
    this.ownLogger = logger;
    const passed: Record<string, unknown> = {};
    for (const key of CONNECTION_OPTION_NAMES) if (this.settings[key] !== undefined) passed[key] = this.settings[key];
    this.connectionOptions = passed as Partial<ConnectionOptions>;
  }

  /** This instance's id on the wire (its bus name and a random suffix); undefined before start. */
  get instance(): string | undefined {
    return this.instanceId;
  }

  /** The link's state; `created` before start. */
  get state(): LinkState | 'created' {
    return this.linkState;
  }

  /** The other instances heard of. */
  peers(): PeerInfo[] {
    return this.parts?.peers.list() ?? [];
  }

  /** Counters of remote requests, both ways, since the transport started; undefined before. */
  stats(): NatsTransportStats | undefined {
    const parts = this.parts;
    const link = this.link;
    if (parts === undefined || link === undefined) return undefined;
    const snapshot = link.getSnapshot();
    return {
      link: snapshot.value as LinkState,
      disconnects: snapshot.context.disconnects,
      outgoing: parts.outgoing.stats(),
      incoming: parts.incoming.stats(),
    };
  }

  // Transport ----------------------------------------------------------------

  async start(host: TransportHost): Promise<void> {
    if (this.link !== undefined) {
      throw new TransportError('AlreadyStarted', this.name, 'already started: a transport links one bus, once');
    }
    const settings = this.settings;
    const instance = `${subjectToken(host.name)}-${randomBytes(4).toString('hex')}`;
    this.instanceId = instance;
    const logger = this.ownLogger ?? host.logger.child({ transport: this.name, instance });
    const subjects = new Subjects(settings.subjectPrefix, instance);
    const readLimits = { maxBytes: settings.maxPayloadBytes };
    const outgoing = new OutgoingRequests({
      instance,
      inbox: subjects.inbox,
      pickupTimeoutMs: settings.pickupTimeoutMs ?? settings.heartbeatMs * settings.missedHeartbeats,
      readLimits,
      logger,
    });
    const incoming = new IncomingRequests(host, subjects, { instance, readLimits, logger });
    const peers = new Peers(
      host,
      subjects,
      outgoing,
      {
        transport: this.name,
        instance,
        missedHeartbeats: settings.missedHeartbeats,
        maxInFlight: settings.maxInFlight,
        logger,
      },
      (peer) => this.events.emit('peer', peer),
    );
    this.parts = { host, logger, subjects, outgoing, incoming, peers };
    host.setRouting(settings.prefer);
    host.events.on('table', this.onTable);

    const link = createActor(linkMachine, {
      id: `link:${this.name}`,
      inspect: host.inspect,
      input: { name: this.name, ports: this.linkPorts() },
    });
    this.link = link;
    link.subscribe((snapshot) => {
      const state = snapshot.value as LinkState;
      const previous = this.linkState;
      if (state === previous) return;
      this.linkState = state;
      this.events.emit('link', { state, previous });
    });
    link.start();
    const settled = await waitFor(link, (s) => s.value !== 'connecting');
    if (settled.value === 'failed') {
      const error = settled.context.error;
      throw new TransportError(
        'ConnectFailed',
        this.name,
        `cannot connect to ${settings.servers.join(', ')}: ${messageOf(error)}`,
        error,
      );
    }
  }

  withdraw(): void {
    if (this.link === undefined) return;
    this.link.send({ type: 'link.withdraw' });
  }

  async close(): Promise<void> {
    const link = this.link;
    if (link === undefined) return;
    link.send({ type: 'link.close' });
    await waitFor(link, (s) => s.status === 'done');
    this.parts?.host.events.off('table', this.onTable);
  }

  // the link's ports -----------------------------------------------------------

  private linkPorts(): LinkPorts {
    return {
      connect: () => this.connect(),
      linkUp: () => this.linkUp(),
      linkDown: () => this.linkDown(),
      withdraw: () => this.withdrawServices(),
      close: () => this.closeLink(),
    };
  }

  private async connect(): Promise<void> {
    const { subjects, outgoing, incoming, peers, logger } = this.parts!;
    const connection = await connect({
      maxReconnectAttempts: -1,
      ...this.connectionOptions,
      name: this.settings.name ?? this.instanceId,
      servers: this.settings.servers,
    });
    if (this.closing) {
      // the bus stopped while the link was connecting
      await connection.close();
      throw new TransportError('ConnectFailed', this.name, 'closed while connecting');
    }
    this.connection = connection;
    outgoing.use(connection);
    incoming.use(connection);
    connection.subscribe(subjects.inboxWildcard, {
      callback: (error, message) => {
        if (error === null) outgoing.receive(message);
      },
    });
    connection.subscribe(subjects.control, {
      callback: (error, message) => {
        if (error !== null) return;
        const announcement = decodeAnnouncement(message.data);
        if (announcement === undefined) {
          logger.debug({ subject: message.subject }, 'ignored a message on the control subject that is not an announcement');
        } else if (peers.hear(announcement) && !this.withdrawn) {
          this.announce('heartbeat');
        }
      },
    });
    void this.watchStatus(connection);
    void connection.closed().then((error) => {
      if (!this.closing) this.link?.send({ type: 'link.ended', error: error ?? new Error('the NATS connection closed') });
    });
    logger.info({ servers: this.settings.servers, server: connection.getServer() }, 'NATS link connected');
  }

  private async watchStatus(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === Events.Disconnect) this.link?.send({ type: 'link.down' });
      else if (status.type === Events.Reconnect) this.link?.send({ type: 'link.up' });
    }
  }

  private linkUp(): void {
    const { peers, logger } = this.parts!;
    peers.setLinkUp(true);
    if (this.linkState === 'down') logger.info({ server: this.connection?.getServer() }, 'NATS link up again');
    if (!this.withdrawn) this.serveLocalServices();
    this.announce('hello');
    if (this.heartbeat === undefined) {
      this.heartbeat = setInterval(() => this.beat(), this.settings.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  private linkDown(): void {
    const { peers, outgoing, logger } = this.parts!;
    peers.setLinkUp(false);
    this.stopHeartbeat();
    const ended = outgoing.endAll('unreachable', 'the NATS link went down with the request in flight');
    logger.warn({ ended }, 'NATS link down: requests for remote services fail with unreachable until it is back');
  }

  private withdrawServices(): void {
    this.withdrawn = true;
    const { incoming, logger } = this.parts!;
    void incoming.withdraw();
    this.announce('bye');
    logger.info('withdrew its services from the other instances');
  }

  private async closeLink(): Promise<void> {
    this.closing = true;
    this.stopHeartbeat();
    const { outgoing, incoming, peers, logger } = this.parts!;
    outgoing.endAll('shutdown', 'the transport closed with the request in flight');
    outgoing.use(undefined);
    peers.clear();
    const connection = this.connection;
    if (connection !== undefined && !connection.isClosed()) {
      this.announce('gone');
      if (this.linkState !== 'down') await flushWithin(connection, FLUSH_TIMEOUT_MS);
      await connection.close();
    }
    incoming.release();
    incoming.use(undefined);
    logger.info('NATS link closed');
  }

  // announcements --------------------------------------------------------------

  /** Heartbeat tick: announce, and end requests nobody took. */
  private beat(): void {
    this.announce('heartbeat');
    this.parts!.outgoing.sweep(performance.now());
  }

  private readonly onTable = (): void => {
    if (this.withdrawn || this.linkState !== 'up') return;
    if (this.serveLocalServices()) this.announce('heartbeat');
  };

  /** Joins the queue groups of the local services (and leaves the others); returns whether that changed. */
  private serveLocalServices(): boolean {
    const { host, incoming } = this.parts!;
    return incoming.serve(host.table.localServices());
  }

  private announce(kind: Announcement['kind']): void {
    const connection = this.connection;
    if (connection === undefined || connection.isClosed()) return;
    const { host, incoming, subjects } = this.parts!;
    const announcement: Announcement = {
      v: 1,
      kind,
      instance: this.instanceId!,
      name: host.name,
      intervalMs: this.settings.heartbeatMs,
      services: this.withdrawn ? [] : incoming.services,
    };
    try {
      connection.publish(subjects.control, encodeAnnouncement(announcement));
    } catch (error) {
      this.parts!.logger.debug({ err: safeError(error), kind }, 'announcement not sent');
    }
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}

/** Longest wait for the last messages (replies, `gone`) to leave when the link closes. */
const FLUSH_TIMEOUT_MS = 1_000;

/** Waits for the server to have everything sent so far, at most `ms`; never rejects. */
async function flushWithin(connection: NatsConnection, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([connection.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } catch {
    // the link went down meanwhile: nothing more can leave
  } finally {
    clearTimeout(timer);
  }
}

/** What a started transport is made of. */
interface Parts {
  host: TransportHost;
  logger: Logger;
  subjects: Subjects;
  outgoing: OutgoingRequests;
  incoming: IncomingRequests;
  peers: Peers;
}

/**
 * A NATS transport from the `transport.nats` settings (validated here: a
 * `TransportError` names every bad field). Attach it with `prosa.attachTransport`.
 */
export function natsTransport(options: NatsTransportOptions): NatsTransport {
  return new NatsTransport(options);
}
