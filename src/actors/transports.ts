/**
 * The transports attached to a bus, and the one host they are all given.
 *
 * Each one's `start`, `withdraw` and `close` is called at most once, in that order. Through
 * the {@link TransportHost} they write remote providers into the service table (directly:
 * the table is the one writer) and serve other instances' requests with local providers.
 */
import type { Emitter } from 'mitt';
import type { Logger } from 'pino';
import { safeError } from '../tvf/unknown-value.js';
import { BusError } from './errors.js';
import type { InspectOption } from './inspect.js';
import type { ProsaEvents } from './prosa.js';
import type { Requests } from './requests.js';
import type { ServiceTable } from './service-table.js';
import type { Transport, TransportHost } from './transport.js';

/** One attached transport, and which of its calls were made. */
class Attachment {
  readonly transport: Transport;
  private started = false;
  private withdrawn = false;
  private closing: Promise<void> | undefined;

  constructor(transport: Transport) {
    this.transport = transport;
  }

  /** Starts the transport once: the first call returns its wait, later ones resolve at once. */
  start(host: TransportHost): Promise<void> {
    if (this.started) return Promise.resolve();
    this.started = true;
    return this.transport.start(host);
  }

  /** Withdraws the transport once; a throw is logged. */
  withdraw(logger: Logger): void {
    if (this.withdrawn) return;
    this.withdrawn = true;
    try {
      this.transport.withdraw();
    } catch (error) {
      logger.warn({ err: safeError(error), transport: this.transport.name }, 'transport withdraw failed');
    }
  }

  /** Withdraws (if not yet) and closes the transport once; every call returns the same wait, which never rejects. */
  close(logger: Logger): Promise<void> {
    this.withdraw(logger);
    this.closing ??= this.transport.close().catch((error: unknown) => {
      logger.warn({ err: safeError(error), transport: this.transport.name }, 'transport close failed');
    });
    return this.closing;
  }
}

/** What the transports of a bus are given of it. */
export interface TransportsBus {
  /** Instance name. */
  readonly name: string;
  readonly logger: Logger;
  /** The service table, which remote providers are written into. */
  readonly table: ServiceTable;
  readonly events: Emitter<ProsaEvents>;
  readonly inspect: InspectOption | undefined;
  readonly requests: Requests;
  /** True while the bus takes remote providers: from `start()` until it stopped. */
  isOpen(): boolean;
}

/** The transports of one bus. */
export class Transports {
  private readonly logger: Logger;
  private readonly busName: string;
  /** What every transport is given: one for the bus. */
  private readonly host: TransportHost;
  private readonly attached: Attachment[] = [];

  constructor(bus: TransportsBus) {
    this.logger = bus.logger;
    this.busName = bus.name;
    const { table, requests, isOpen } = bus;
    this.host = {
      name: bus.name,
      logger: bus.logger,
      table,
      events: bus.events,
      inspect: bus.inspect,
      addRemote: (service, provider) => {
        if (isOpen()) table.add(service, provider);
      },
      removeRemote: (service, provider) => {
        if (isOpen()) table.remove(service, provider);
      },
      setRouting: (policy) => {
        table.routing = policy;
      },
      requestLocal: (service, payload, timeoutMs, origin, context) =>
        requests.send(table.lookup(service), service, payload, { timeoutMs }, origin, true, null, context ?? null),
      contextIgnored: () => requests.contextIgnored(),
    };
  }

  /**
   * Attaches `transport`; starts it at once when `running` (a failed start is logged).
   * Returns the function that detaches it. Throws a `BusError` for a name already attached.
   */
  attach(transport: Transport, running: boolean): () => Promise<void> {
    if (this.attached.some((a) => a.transport.name === transport.name)) {
      throw new BusError('InvalidOption', `a transport named '${transport.name}' is already attached to bus '${this.busName}'`);
    }
    const attachment = new Attachment(transport);
    this.attached.push(attachment);
    if (running) {
      attachment.start(this.host).catch((error: unknown) =>
        this.logger.error({ err: safeError(error), transport: transport.name }, 'transport failed to start'),
      );
    }
    return async () => {
      const index = this.attached.indexOf(attachment);
      if (index >= 0) this.attached.splice(index, 1);
      await attachment.close(this.logger);
    };
  }

  /** Starts every attached transport (each once); rejects with the first failure. */
  async start(): Promise<void> {
    await Promise.all(this.attached.map((attachment) => attachment.start(this.host)));
  }

  /** Withdraws every attached transport (each once). */
  withdraw(): void {
    for (const attachment of this.attached) attachment.withdraw(this.logger);
  }

  /** Closes every attached transport (each once); never rejects. */
  async close(): Promise<void> {
    await Promise.all(this.attached.map((attachment) => attachment.close(this.logger)));
  }
}
