/**
 * Transport: the contract between a bus and a link to other instances.
 *
 * The link is NATS's, in `src/transport`. The bus owns the lifecycle (start, withdraw,
 * close) and its table; the transport adds and removes remote providers through the
 * table's one writer (never through Main), and serves requests from other instances with
 * local providers only.
 */
import type { Emitter } from 'mitt';
import type { Logger } from 'pino';
import type { Tvf } from '../tvf/tvf.js';
import type { Provider } from './msg.js';
import type { InspectOption } from './inspect.js';
import type { IncomingContext } from './request-context.js';
import type { ProsaEvents } from './prosa.js';
import type { RoutingPolicy, ServiceTableView } from './service-table.js';

/** What a transport may use of the bus it is attached to. */
export interface TransportHost {
  /** Instance name (the bus's `name`). */
  readonly name: string;
  /** The bus logger. */
  readonly logger: Logger;
  /** The bus's service table (live, read-only). */
  readonly table: ServiceTableView;
  /** The bus's lifecycle and table events. */
  readonly events: Emitter<ProsaEvents>;
  /** The bus's XState inspection observer, for the transport's own actors. */
  readonly inspect: InspectOption | undefined;
  /**
   * Adds `provider` (a remote one: `provider.remote` is true) to the providers of
   * `service`, at once (the table's watchers run inside the call, the bus's `table`
   * event on a later turn); a duplicate add is ignored. Ignored once the bus stopped.
   * Must not be called from a table watcher.
   */
  addRemote(service: string, provider: Provider): void;
  /** Removes `provider` from `service`, as {@link addRemote} adds it. */
  removeRemote(service: string, provider: Provider): void;
  /** Sets how requests choose between local and remote providers (default `local-first`). */
  setRouting(policy: RoutingPolicy): void;
  /**
   * Sends a request from another instance to a local provider of `service` (never to
   * a remote one, so a request never crosses twice). Same guarantee as `prosa.request()`:
   * settles once, with the reply or a `ServiceError`. `origin` names the caller in logs.
   * `context` is what the caller's headers carried (its span, its metadata), if anything.
   */
  requestLocal(service: string, payload: Tvf, timeoutMs: number, origin: string, context?: IncomingContext): Promise<Tvf>;
  /** Counts a request-context header the transport ignored as bad or too large (`BusStats.ignoredContext`); the transport logs it. */
  contextIgnored(): void;
}

/**
 * A link between this bus and other instances, attached with `prosa.attachTransport`.
 * Each method is called at most once, in the order start, withdraw, close (withdraw and
 * close also when start was never called or failed).
 */
export interface Transport {
  /** Name of the transport: in logs, and the `processor` of the remote providers it adds. */
  readonly name: string;
  /**
   * Brings the link up and announces the local services. Called once Main runs (by
   * `prosa.start()`, or at once when attached to a running bus); its rejection rejects
   * `prosa.start()`.
   */
  start(host: TransportHost): Promise<void>;
  /**
   * Stops taking requests from other instances and tells them at once. Called
   * synchronously at the beginning of `prosa.stop()`, before processors drain, so
   * requests already taken are still answered.
   */
  withdraw(): void;
  /**
   * Ends what is left in flight, removes its remote providers, and closes the link.
   * Called once the bus stopped (or when the transport is detached).
   */
  close(): Promise<void>;
}
