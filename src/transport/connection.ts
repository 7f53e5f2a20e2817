/**
 * The NATS connection of a link: opened with the client options and the security of the
 * `transport.nats` settings, its status followed (disconnects and reconnects become the
 * link's events), and the errors the server reports counted, a few log lines each.
 */
import { connect, Events, type ConnectionOptions, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { CONNECTION_OPTION_NAMES, type NatsSettings } from '../config/transport-settings.js';
import { CountedWarning } from '../observability/counted-warning.js';
import { TransportError } from './errors.js';
import { natsSecurity, type NatsSecurity } from './security.js';

/** Opens NATS connections as the settings say; the secrets stay in its closures. */
export class NatsConnector {
  readonly #transport: string;
  readonly #servers: string[];
  /** The client options passed as they are (no secret among them). */
  readonly #options: Partial<ConnectionOptions>;
  readonly #security: NatsSecurity;

  /** Takes the validated settings, secrets included; keeps nothing of them that can be logged. */
  constructor(settings: NatsSettings, transport: string) {
    this.#transport = transport;
    this.#servers = settings.servers;
    const options: Record<string, unknown> = {};
    for (const key of CONNECTION_OPTION_NAMES) if (settings[key] !== undefined) options[key] = settings[key];
    this.#options = options as Partial<ConnectionOptions>;
    this.#security = natsSecurity(settings, transport);
  }

  /** The servers it connects to. */
  get servers(): readonly string[] {
    return this.#servers;
  }

  /**
   * Connects, reconnecting forever unless `maxReconnectAttempts` says otherwise, under the
   * client name of the settings or else `clientName`. Rejects with a `TransportError`:
   * `AuthFailed` when the server refused the credentials or a credentials file is unusable,
   * else `ConnectFailed`.
   */
  async open(clientName: string): Promise<NatsConnection> {
    const security = this.#security.options(); // throws AuthFailed for a file it cannot use
    try {
      return await connect({
        maxReconnectAttempts: -1,
        ...this.#options,
        ...security,
        name: this.#options.name ?? clientName,
        servers: this.#servers,
      });
    } catch (error) {
      throw this.failure(error);
    }
  }

  /** `error`, a failure of the first connect, as the `TransportError` that says so. */
  failure(error: unknown): TransportError {
    return error instanceof TransportError ? error : this.#security.connectError(error, this.#servers);
  }

  /** The error of a connect that the link no longer waits for (it closed meanwhile). */
  abandoned(): TransportError {
    return new TransportError('ConnectFailed', this.#transport, 'closed while connecting');
  }
}

/** What {@link followStatus} tells the link. */
export interface StatusListener {
  /** The connection to the server was lost; the client reconnects. */
  down(): void;
  /** The client reconnected. */
  up(): void;
}

/** Most distinct server errors counted apart; the oldest is forgotten first. */
const MAX_SERVER_ERRORS = 100;

/**
 * The errors a NATS server reports to a connection (a permissions violation: the server's
 * account or subject permissions do not fit prosa's subjects), each text counted apart and
 * logged the 1st, 10th, 100th, ... time.
 */
export class ServerErrors {
  private readonly warnings = new Map<string, CountedWarning>();
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  /** Counts one report of `text` by `server`. */
  hit(text: string, server: string): void {
    let warning = this.warnings.get(text);
    if (warning === undefined) {
      // one count per error and subject, so each is logged at least once; a few kept at most
      if (this.warnings.size >= MAX_SERVER_ERRORS) this.warnings.delete(this.warnings.keys().next().value!);
      warning = new CountedWarning(this.logger, 'the NATS server reported an error');
      this.warnings.set(text, warning);
    }
    warning.hit({ server, error: text });
  }
}

/** Follows `connection`'s status until it closes: tells `listener` of disconnects and reconnects, counts server errors. */
export async function followStatus(connection: NatsConnection, listener: StatusListener, errors: ServerErrors): Promise<void> {
  for await (const status of connection.status()) {
    if (status.type === Events.Disconnect) listener.down();
    else if (status.type === Events.Reconnect) listener.up();
    else if (status.type === Events.Error) {
      // the client gives the error's code as data, and the operation and subject apart
      const context = (status as { permissionContext?: { operation: string; subject: string } }).permissionContext;
      errors.hit(`${String(status.data)}${context === undefined ? '' : ` (${context.operation} ${context.subject})`}`, connection.getServer());
    }
  }
}
