/**
 * Instance: a bus and its processors built from validated settings through the kind
 * factories, with a stop that first quiets the processors that generate traffic.
 */
import { pino, type Logger } from 'pino';
import { createProsa, type Prosa } from '../actors/prosa.js';
import type { InspectOption, Processor } from '../actors/processor.js';
import type { BusObserver } from '../actors/requests.js';
import type { FactoryProduct } from './factory.js';
import type { KindRegistry } from './registry.js';
import { serviceDirectory } from './service-directory.js';
import { formatPath, SettingsError, settingsIssue, type SettingsIssue } from './settings-error.js';
import type { InstanceSettings, ProcessorSettings } from './settings-schema.js';
import { validateSettings, type ValidateOptions } from './validate.js';

/** Options of {@link buildInstance}. */
export interface BuildOptions {
  /** The processor kinds; every kind the settings name must be registered. */
  kinds: KindRegistry;
  /**
   * The bus logger; each processor gets a child with `proc` bound (at its own `log.level`
   * when the settings give one).
   * @defaultValue a pino logger on stdout at the settings' `log.level`
   */
  logger?: Logger;
  /** XState inspection observer, passed to every actor. */
  inspect?: InspectOption;
  /** Hooks called as requests settle (metrics, run summaries). */
  observer?: BusObserver;
}

/** One processor of an instance. */
export interface InstanceProcessor {
  /** Its settings, validated. */
  readonly settings: ProcessorSettings;
  /** Its handle on the bus. */
  readonly processor: Processor;
  /** What its factory built. */
  readonly product: FactoryProduct;
}

/** A bus with its processors, built from settings. */
export class Instance {
  /** The bus. */
  readonly prosa: Prosa;
  /** The settings it was built from. */
  readonly settings: InstanceSettings;
  /** Its processors by name, in settings order. */
  readonly processors: ReadonlyMap<string, InstanceProcessor>;
  private stopping: Promise<void> | undefined;

  /** @internal use {@link buildInstance} */
  constructor(prosa: Prosa, settings: InstanceSettings, processors: ReadonlyMap<string, InstanceProcessor>) {
    this.prosa = prosa;
    this.settings = settings;
    this.processors = processors;
  }

  /** Starts the bus: resolves once every processor settled its first start (`Prosa.start`). */
  start(): Promise<void> {
    return this.prosa.start();
  }

  /**
   * Stops the instance: first every processor's `quiesce` (no new traffic, in-flight
   * requests settle), bounded by `shutdown.graceMs`; then the bus stops gracefully.
   * Idempotent: later calls return the same promise.
   */
  stop(reason = 'stop'): Promise<void> {
    this.stopping ??= this.stopInOrder(reason);
    return this.stopping;
  }

  /** Processor name -> its report, for processors whose kind gives one. */
  reports(): Record<string, object> {
    const out: Record<string, object> = {};
    for (const [name, entry] of this.processors) {
      if (entry.product.report !== undefined) out[name] = entry.product.report();
    }
    return out;
  }

  private async stopInOrder(reason: string): Promise<void> {
    const quiets: Promise<void>[] = [];
    for (const entry of this.processors.values()) {
      if (entry.product.quiesce !== undefined) quiets.push(entry.product.quiesce());
    }
    if (quiets.length > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.settings.shutdown.graceMs);
      });
      await Promise.race([Promise.allSettled(quiets), grace]);
      clearTimeout(timer);
    }
    await this.prosa.stop(reason);
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Builds the bus and its processors from validated settings (as `validateSettings` or
 * `loadSettings` return them). Nothing runs until `start()`. Throws a
 * {@link SettingsError} listing every processor whose factory or spec failed; the
 * half-built bus is then stopped.
 */
export function buildInstance(settings: InstanceSettings, options: BuildOptions): Instance {
  const logger = options.logger ?? pino({ name: settings.name, level: settings.log.level });
  const prosa = createProsa({
    name: settings.name,
    logger,
    inspect: options.inspect,
    shutdown: settings.shutdown,
    requestTimeoutMs: settings.requestTimeoutMs,
    observer: options.observer,
  });
  const services = serviceDirectory(prosa);
  const processors = new Map<string, InstanceProcessor>();
  const issues: SettingsIssue[] = [];
  settings.processors.forEach((entry, index) => {
    const factory = options.kinds.get(entry.kind);
    if (factory === undefined) {
      const path = formatPath(['processors', index, 'kind']);
      issues.push(settingsIssue(path, `one of the known kinds: ${options.kinds.kinds().join(', ')}`, JSON.stringify(entry.kind)));
      return;
    }
    const level = entry.log.level;
    const procLogger = level === undefined ? logger.child({ proc: entry.name }) : logger.child({ proc: entry.name }, { level });
    try {
      const product = factory.create(entry.settings, { name: entry.name, instance: settings.name, logger: procLogger, services });
      const processor = prosa.processor(entry.name, {
        services: product.services,
        adaptor: product.adaptor,
        restart: entry.restart,
        queue: entry.queue,
        initTimeoutMs: entry.initTimeoutMs,
        logger: procLogger,
      });
      processors.set(entry.name, { settings: entry, processor, product });
    } catch (error) {
      const path = formatPath(['processors', index, 'settings']);
      issues.push(settingsIssue(path, `settings kind '${entry.kind}' can build a processor from`, `an error: ${describeError(error)}`));
    }
  });
  if (issues.length > 0) {
    void prosa.stop('build failed');
    throw new SettingsError('InvalidSettings', settings.name, issues);
  }
  return new Instance(prosa, settings, processors);
}

/**
 * Validates `input` (a settings object, e.g. parsed from a file) and builds its
 * instance. Throws a {@link SettingsError} listing every issue.
 */
export function createInstance(input: unknown, options: BuildOptions & Omit<ValidateOptions, 'kinds' | 'locate'>): Instance {
  const settings = validateSettings(input, { kinds: options.kinds, source: options.source, env: options.env });
  return buildInstance(settings, options);
}
