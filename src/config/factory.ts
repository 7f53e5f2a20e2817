/**
 * Factories: one per processor kind (Controller Bus's controller factory). A factory
 * gives its settings schema (zod, with a default and a `.describe()` doc per field) and
 * builds the processor's adaptor and services from validated settings.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Adaptor } from '../actors/adaptor.js';
import type { Directives } from '../directives/directives.js';

/** What a factory's `create` gets besides the settings. */
export interface FactoryContext {
  /** Name of the processor being built. */
  readonly name: string;
  /** Name of the instance (bus). */
  readonly instance: string;
  /** The processor's logger. */
  readonly logger: Logger;
  /**
   * The directive registry of the bus: for processors that need something of the bus
   * while they run. A processor that calls a service waits for it with the built-in
   * `LookupService` (`directives.add(LookupService({ service })).firstValue()`), as the
   * injector does before sending. Each reference a processor adds is its to release (at
   * the latest when its run ends: its context's signal aborts); the registry releases
   * them all when the bus stops. Set when the processor is built by `LoadProcessor` (as
   * `buildInstance` builds every processor); absent when a factory is called another way.
   */
  readonly directives?: Directives;
}

/** What a factory builds: the part of a processor spec that depends on its kind. */
export interface FactoryProduct {
  /** Services the processor provides. */
  services: readonly string[];
  /** The processor's adaptor. */
  adaptor: Adaptor;
  /**
   * Figures of the processor for run summaries (`prosa run` prints them): a plain,
   * JSON-serialisable object. Cheap; may be called at any time, before start and after stop.
   */
  report?(): object;
  /**
   * Stops generating traffic before the bus stops: no new requests from this processor,
   * and resolves once the ones it sent have settled. Called once by `Instance.stop()`
   * before the bus drains, so a clean stop ends no request in `shutdown`; bounded by the
   * instance's `shutdown.graceMs`. Processors that only serve do not need it.
   */
  quiesce?(): Promise<void>;
}

/** A TCP address a processor listens on, as its settings say. */
export interface ListenAddress {
  /** Interface: an address, a host name, or `0.0.0.0` / `::` for every interface. */
  readonly host: string;
  /** Port; 0 picks a free one (and so never clashes). */
  readonly port: number;
  /** Path of the port field inside the kind's settings (`['listen', 'port']`), for the issue that names it. */
  readonly path: readonly (string | number)[];
}

/** A processor kind. */
export interface ProcessorFactory<Schema extends z.ZodType = z.ZodType> {
  /** Kind name, as written in settings files (`kind: stub`). */
  readonly kind: string;
  /** One-line description, shown by `prosa kinds`. */
  readonly description: string;
  /** Version of the kind's settings; bump when their meaning changes. */
  readonly version: string;
  /** Schema of the `settings` block: defaults and a `.describe()` doc string per field. */
  readonly settings: Schema;
  /**
   * The TCP addresses a processor of this kind listens on, read from its validated
   * settings (no I/O). Validation refuses two listeners of one file (processors, the
   * metrics endpoint) on the same port and interface, as `prosa validate` and `prosa run`
   * alike. Kinds that listen on nothing leave it out.
   */
  listens?(settings: z.output<Schema>): readonly ListenAddress[];
  /** Builds the processor from validated settings. Called again for each (re)build, never shared. */
  create(settings: z.output<Schema>, context: FactoryContext): FactoryProduct;
}

/** Declares a factory with its settings type inferred from its schema. */
export function defineFactory<Schema extends z.ZodType>(factory: ProcessorFactory<Schema>): ProcessorFactory<Schema> {
  return factory;
}
