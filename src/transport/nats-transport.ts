/**
 * The NATS transport: links prosa instances through a NATS server (or cluster). This is
 * what a bus attaches: it validates the settings, starts one link, and reports it.
 *
 * Each instance announces the services its local processors provide (a heartbeat on the
 * control subject every `heartbeatMs`, and at once on every change), joins each such
 * service's queue group, and hears the other instances' announcements: their services
 * enter its table as remote providers, and leave when they stop serving them, say bye,
 * or miss `missedHeartbeats` heartbeats. The link's lifecycle is the link machine
 * (`link.ts` runs it); each other instance's is a peer machine (`peers.ts`).
 *
 * ```ts
 * const prosa = createProsa({ name: 'a' });
 * prosa.attachTransport(natsTransport({ servers: ['nats://127.0.0.1:4222'] }));
 * await prosa.start(); // connects and announces
 * ```
 */
import mittModule, { type Emitter } from 'mitt';
import type { Logger } from 'pino';
import type { Transport, TransportHost } from '../actors/transport.js';
import { maskSettings } from '../config/sensitive.js';
import { natsSettingsSchema, type NatsSettings, type NatsSettingsInput } from '../config/transport-settings.js';
import type { LinkState } from '../machines/link.machine.js';
import { NatsConnector } from './connection.js';
import { TransportError } from './errors.js';
import { NatsLink } from './link.js';
import type { PeerInfo } from './peers.js';
import type { NatsTransportEvents, NatsTransportStats } from './reports.js';

export type { NatsTransportEvents, NatsTransportStats } from './reports.js';

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

/** A NATS transport; attach it with `prosa.attachTransport(natsTransport(options))`. */
export class NatsTransport implements Transport {
  readonly name: string;
  /** Link and peer events. Handlers run synchronously; keep them short. */
  readonly events: Emitter<NatsTransportEvents> = mitt<NatsTransportEvents>();
  /** The settings, defaults applied, secrets (`pass`, `token`, `nkeySeed`) replaced by `***`. */
  readonly settings: NatsSettings;

  // ES private fields: not enumerable, so logging or inspecting the transport never shows them.
  readonly #connector: NatsConnector;
  readonly #logger: Logger | undefined;
  #link: NatsLink | undefined;

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
    this.#connector = new NatsConnector(parsed.data, this.name);
    this.#logger = logger;
  }

  /** This instance's id on the wire (its bus name and its key's fingerprint); undefined before start. */
  get instance(): string | undefined {
    return this.#link?.instance;
  }

  /** The link's state; `created` before start. */
  get state(): LinkState | 'created' {
    return this.#link?.state ?? 'created';
  }

  /** The other instances heard of. */
  peers(): PeerInfo[] {
    return this.#link?.peerList() ?? [];
  }

  /** Counters of remote requests, both ways, since the transport started; undefined before. */
  stats(): NatsTransportStats | undefined {
    return this.#link?.stats();
  }

  // Transport ----------------------------------------------------------------

  async start(host: TransportHost): Promise<void> {
    if (this.#link !== undefined) {
      throw new TransportError('AlreadyStarted', this.name, 'already started: a transport links one bus, once');
    }
    const link = new NatsLink({
      name: this.name,
      settings: this.settings,
      connector: this.#connector,
      host,
      logger: this.#logger,
      events: this.events,
    });
    this.#link = link;
    await link.open();
  }

  withdraw(): void {
    this.#link?.withdraw();
  }

  async close(): Promise<void> {
    await this.#link?.close();
  }
}

/**
 * A NATS transport from the `transport.nats` settings (validated here: a
 * `TransportError` names every bad field). Attach it with `prosa.attachTransport`.
 */
export function natsTransport(options: NatsTransportOptions): NatsTransport {
  return new NatsTransport(options);
}
