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
import { connect, Events, headers, type ConnectionOptions, type Msg, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { createActor, waitFor, type Actor } from 'xstate';
import type { Transport, TransportHost } from '../actors/transport.js';
import { linkMachine, type LinkPorts, type LinkState } from '../machines/link.machine.js';
import { maskSettings } from '../config/sensitive.js';
import { TransportError } from './errors.js';
import { AnnouncementGuard, Identity, type AnnouncementRefusal } from './identity.js';
import { IncomingRequests, type IncomingStats } from './incoming.js';
import { OutgoingRequests, type OutgoingStats } from './outgoing.js';
import { Peers, type PeerInfo } from './peers.js';
import { CountedWarning } from '../observability/counted-warning.js';
import { Refusals, type RefusedStats } from './refusals.js';
import { natsSecurity, type NatsSecurity } from './security.js';
import {
  CONNECTION_OPTION_NAMES,
  natsSettingsSchema,
  type NatsSettings,
  type NatsSettingsInput,
} from '../config/transport-settings.js';
import { Subjects } from './subjects.js';
import { ANNOUNCEMENT_VERSION, decodeAnnouncement, encodeAnnouncement, HEADER, type Announcement } from './wire.js';
import { safeError } from '../tvf/unknown-value.js';

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
  /** What was refused from the wire: forged or replayed announcements, peers and services past their bounds, untrusted replies. */
  refused: RefusedStats;
}

/** A NATS transport; attach it with `prosa.attachTransport(natsTransport(options))`. */
export class NatsTransport implements Transport {
  readonly name: string;
  /** Link and peer events. Handlers run synchronously; keep them short. */
  readonly events: Emitter<NatsTransportEvents> = mitt<NatsTransportEvents>();
  /** The settings, defaults applied, secrets (`pass`, `token`, `nkeySeed`) replaced by `***`. */
  readonly settings: NatsSettings;

  // ES private fields: not enumerable, so logging or inspecting the transport never shows them.
  readonly #connectionOptions: Partial<ConnectionOptions>;
  readonly #security: NatsSecurity;
  private readonly ownLogger: Logger | undefined;
  private instanceId: string | undefined;
  private parts: Parts | undefined;
  private link: Actor<typeof linkMachine> | undefined;
  private connection: NatsConnection | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  /** A heartbeat due at the end of this event-loop turn, answering the hellos heard in it. */
  private helloAnswer: ReturnType<typeof setImmediate> | undefined;
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
    this.settings = maskSettings(parsed.data, natsSettingsSchema) as NatsSettings;
    this.#security = natsSecurity(parsed.data, this.name);
    this.ownLogger = logger;
    const passed: Record<string, unknown> = {};
    for (const key of CONNECTION_OPTION_NAMES) if (this.settings[key] !== undefined) passed[key] = this.settings[key];
    this.#connectionOptions = passed as Partial<ConnectionOptions>;
  }

  /** This instance's id on the wire (its bus name and its key's fingerprint); undefined before start. */
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
      refused: parts.refusals.stats(),
    };
  }

  // Transport ----------------------------------------------------------------

  async start(host: TransportHost): Promise<void> {
    if (this.link !== undefined) {
      throw new TransportError('AlreadyStarted', this.name, 'already started: a transport links one bus, once');
    }
    const settings = this.settings;
    const identity = new Identity(host.name);
    const instance = identity.instance;
    this.instanceId = instance;
    const logger = this.ownLogger ?? host.logger.child({ transport: this.name, instance });
    // The inbox token is never announced: only who saw a request knows where to answer it.
    const subjects = new Subjects(settings.subjectPrefix, instance, randomBytes(16).toString('hex'));
    const readLimits = { maxBytes: settings.maxPayloadBytes };
    const refusals = new Refusals(logger);
    // Assigned below: the outgoing side asks the peers who may answer.
    let peers: Peers | undefined;
    const outgoing = new OutgoingRequests({
      instance,
      inbox: subjects.inbox,
      pickupTimeoutMs: settings.pickupTimeoutMs ?? settings.heartbeatMs * settings.missedHeartbeats,
      readLimits,
      logger,
      trusts: (from) => from === instance || peers!.has(from),
      refuse: (why, from) => refusals.refuse('replies', why, from),
    });
    const incoming = new IncomingRequests(host, subjects, { instance, readLimits, logger });
    peers = new Peers(
      host,
      subjects,
      outgoing,
      {
        transport: this.name,
        instance,
        missedHeartbeats: settings.missedHeartbeats,
        maxInFlight: settings.maxInFlight,
        maxRemoteServices: settings.maxRemoteServices,
        refuseService: (from) => refusals.refuse('services', `maxRemoteServices (${settings.maxRemoteServices}) reached`, from),
        logger,
      },
      (peer) => this.events.emit('peer', peer),
    );
    const guard = new AnnouncementGuard({ self: instance, subject: subjects.control, maxPeers: settings.maxPeers, peers });
    const serverErrors = new Map<string, CountedWarning>();
    this.parts = { host, logger, subjects, outgoing, incoming, peers, identity, guard, refusals, serverErrors };
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
      throw error instanceof TransportError ? error : this.#security.connectError(error, settings.servers);
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
    const { subjects, outgoing, incoming, logger } = this.parts!;
    const security = this.#security.options(); // throws AuthFailed for a file it cannot use
    let connection: NatsConnection;
    try {
      connection = await connect({
        maxReconnectAttempts: -1,
        ...this.#connectionOptions,
        ...security,
        name: this.settings.name ?? this.instanceId,
        servers: this.settings.servers,
      });
    } catch (error) {
      throw this.#security.connectError(error, this.settings.servers);
    }
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
        if (error === null) this.hear(message);
      },
    });
    void this.watchStatus(connection);
    void connection.closed().then((error) => {
      if (!this.closing) this.link?.send({ type: 'link.ended', error: error ?? new Error('the NATS connection closed') });
    });
    logger.info({ servers: this.settings.servers, server: connection.getServer() }, 'NATS link connected');
  }

  /** Takes a message of the control subject: an announcement that passes the guard reaches the peers. */
  private hear(message: Msg): void {
    const { peers, guard, refusals } = this.parts!;
    const announcement = decodeAnnouncement(message.data);
    if (announcement === undefined) {
      refusals.refuse('announcements', 'not an announcement of this version');
      return;
    }
    const verdict = guard.check(announcement, message.headers?.get(HEADER.signature), message.data);
    if (verdict === 'take') {
      // One heartbeat answers every hello of a turn: a burst of newcomers (or of fakes) costs one.
      if (peers.hear(announcement) && !this.withdrawn) this.helloAnswer ??= setImmediate(this.answerHellos);
    } else if (verdict === 'full') {
      refusals.refuse('peers', `maxPeers (${this.settings.maxPeers}) reached`, announcement.instance);
    } else if (verdict !== 'ignore') {
      refusals.refuse('announcements', REFUSAL_WHY[verdict], announcement.instance);
    }
  }

  private async watchStatus(connection: NatsConnection): Promise<void> {
    const { serverErrors, logger } = this.parts!;
    for await (const status of connection.status()) {
      if (status.type === Events.Disconnect) this.link?.send({ type: 'link.down' });
      else if (status.type === Events.Reconnect) this.link?.send({ type: 'link.up' });
      else if (status.type === Events.Error) {
        // e.g. a permissions violation: the server's account or subject permissions do not fit prosa's subjects
        // (the client gives the error's code as data, and the operation and subject apart)
        const context = (status as { permissionContext?: { operation: string; subject: string } }).permissionContext;
        const text = `${String(status.data)}${context === undefined ? '' : ` (${context.operation} ${context.subject})`}`;
        let warning = serverErrors.get(text);
        if (warning === undefined) {
          // one count per error and subject, so each is logged at least once; a few kept at most
          if (serverErrors.size >= MAX_SERVER_ERRORS) serverErrors.delete(serverErrors.keys().next().value!);
          warning = new CountedWarning(logger, 'the NATS server reported an error');
          serverErrors.set(text, warning);
        }
        warning.hit({ server: connection.getServer(), error: text });
      }
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
    const { host, incoming, subjects, identity } = this.parts!;
    const announcement: Announcement = {
      v: ANNOUNCEMENT_VERSION,
      kind,
      instance: identity.instance,
      name: host.name,
      key: identity.key,
      seq: identity.nextSeq(),
      intervalMs: this.settings.heartbeatMs,
      services: this.withdrawn ? [] : incoming.services,
    };
    try {
      const data = encodeAnnouncement(announcement);
      const h = headers();
      h.set(HEADER.signature, identity.sign(subjects.control, data));
      connection.publish(subjects.control, data, { headers: h });
    } catch (error) {
      this.parts!.logger.debug({ err: safeError(error), kind }, 'announcement not sent');
    }
  }

  private readonly answerHellos = (): void => {
    this.helloAnswer = undefined;
    if (!this.withdrawn) this.announce('heartbeat');
  };

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.helloAnswer !== undefined) clearImmediate(this.helloAnswer);
    this.helloAnswer = undefined;
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
  identity: Identity;
  guard: AnnouncementGuard;
  refusals: Refusals;
  /** Errors the server reported (permissions violations, ...), counted per text. */
  serverErrors: Map<string, CountedWarning>;
}

/** Most distinct server errors counted apart; the oldest is forgotten first. */
const MAX_SERVER_ERRORS = 100;

/** What a refused announcement's log line says. */
const REFUSAL_WHY: Record<Exclude<AnnouncementRefusal, 'full'>, string> = {
  signature: 'no signature, or one that does not verify with its key',
  key: 'its key is not the one its instance id names',
  replay: 'replayed (its seq is not above the last one taken from that instance)',
};

/**
 * A NATS transport from the `transport.nats` settings (validated here: a
 * `TransportError` names every bad field). Attach it with `prosa.attachTransport`.
 */
export function natsTransport(options: NatsTransportOptions): NatsTransport {
  return new NatsTransport(options);
}
