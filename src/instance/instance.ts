/**
 * Instance: the composition root. Builds an instance's logger and masks, its bus, its
 * directives and its transports from validated settings, and its processors through the
 * kind factories; stops it by first quieting the processors that generate traffic; and
 * reconfigures it live (`apply`). Every processor is built by a `LoadProcessor`
 * directive, held by the instance's `ApplySettings` directive (both in this folder): the
 * first build and every later apply go through the same path.
 */
import mittModule, { type Emitter } from 'mitt';
import type { Logger } from 'pino';
import { createProsa, type BusObserver, type InspectOption, type Prosa, type TracingOption, type Transport } from '../actors/index.js';
import type { KindRegistry } from '../config/registry.js';
import { formatPath, SettingsError, settingsIssue, type SettingsIssue } from '../config/settings-error.js';
import type { InstanceSettings } from '../config/settings-schema.js';
import { secretsIn } from '../config/sensitive.js';
import { natsSettingsSchema, type NatsSettings } from '../config/transport-settings.js';
import { validateSettings, type ValidateOptions } from '../config/validate.js';
import { createDirectives, type Directives } from '../directives/directives.js';
import { instanceLogging, silentLogger } from '../observability/logger.js';
import { redactSecrets } from '../observability/secrets.js';
import type { Tvf } from '../tvf/tvf.js';
import { messageOf } from '../tvf/unknown-value.js';
import { applySettingsHandler } from './apply-settings.js';
import { LiveSettings, type ApplyOptions, type ApplyReport } from './live-settings.js';
import { LoadProcessorError, loadProcessorHandler, type LoadedProcessor } from './load-processor.js';
import { quiesceAll } from './quiesce.js';

/** Options of {@link buildInstance}. */
export interface BuildOptions {
  /** The processor kinds; every kind the settings name must be registered. */
  kinds: KindRegistry;
  /**
   * The bus logger; each processor gets a child with `proc` bound (at its own `log.level`
   * when the settings give one).
   * @defaultValue `instanceLogging(settings).logger`: a pino logger on stdout at the
   *   settings' `log.level` and `log.format`, masking the `services`' sensitive fields
   */
  logger?: Logger;
  /**
   * What a log shows of a payload (the bus's `maskPayload`).
   * @defaultValue `instanceLogging(settings).maskPayload`: the masks of the settings' `services`
   */
  maskPayload?: (service: string, payload: Tvf) => unknown;
  /** XState inspection observer, passed to every actor. */
  inspect?: InspectOption;
  /** Hooks called as requests settle (metrics, run summaries). */
  observer?: BusObserver;
  /** Traces requests (the bus's `tracing` option; `prosa run` gives the one its `tracing` settings start). */
  tracing?: TracingOption;
  /**
   * What makes the transports the `transport` section names (they live in a layer above
   * config). A section without its maker is a settings issue.
   */
  transports?: TransportMakers;
}

/** Makers of the transports the `transport` section may name, one per entry. */
export interface TransportMakers {
  /** Makes the transport of `transport.nats` (`natsTransport` from `src/transport`). */
  nats?(settings: NatsSettings): Transport;
}

/** One processor of an instance: its settings entry, its handle on the bus, what its factory built. */
export type InstanceProcessor = LoadedProcessor;

// mitt's types describe its CommonJS build; under NodeNext its ESM default export is the function.
const mitt = mittModule as unknown as typeof mittModule.default;

/** Events an instance emits on `instance.events` (a mitt emitter); handlers run synchronously. */
export type InstanceEvents = {
  /** Settings were applied (`apply`, from a reload or a call): what changed. */
  'settings.applied': { report: ApplyReport };
  /** A reload was refused (the file did not load): the instance runs on unchanged. */
  'settings.refused': { trigger: string; error: SettingsError };
};

/** A bus with its processors, built from settings. */
export class Instance {
  /** The bus. */
  readonly prosa: Prosa;
  /** The directives of the bus: the instance's `ApplySettings` and `LoadProcessor`s live there. */
  readonly directives: Directives;
  /** The processor kinds it was built with (what its settings, and every apply, may name). */
  readonly kinds: KindRegistry;
  /** Settings applies and refused reloads, as they happen. */
  readonly events: Emitter<InstanceEvents> = mitt<InstanceEvents>();
  private readonly live: LiveSettings;
  private stopping: Promise<void> | undefined;

  /** @internal use {@link buildInstance} */
  constructor(prosa: Prosa, directives: Directives, live: LiveSettings, kinds: KindRegistry) {
    this.prosa = prosa;
    this.directives = directives;
    this.live = live;
    this.kinds = kinds;
  }

  /** The settings applied last (those it was built from, until `apply`). */
  get settings(): InstanceSettings {
    return this.live.settings;
  }

  /**
   * Its processors by name, in settings order, as of now (after an `apply`, the new set).
   * Once stopped, the last set with their final states.
   */
  get processors(): ReadonlyMap<string, InstanceProcessor> {
    return this.live.processors();
  }

  /**
   * Applies changed settings as a diff (see `LiveSettings.apply`): new processors start,
   * removed ones are quieted, drained and stopped, changed ones (any field of their entry
   * differs, or their kind's factory changed in the kind registry: a reloaded plugin) are
   * replaced, untouched ones keep serving without a blip. Resolves with what
   * changed; logs it. Instance-level sections (`name`, `shutdown`, ...) take effect only
   * on a restart: the report lists those that changed. `settings` must be validated
   * (`loadSettings`, `validateSettings`). Applies run one at a time. Once the instance
   * stops, an apply rejects with a `DirectiveError` `Closed`. Each apply that resolves is
   * told on `events` (`settings.applied`).
   */
  async apply(settings: InstanceSettings, options?: ApplyOptions): Promise<ApplyReport> {
    const report = await this.live.apply(settings, options);
    this.events.emit('settings.applied', { report });
    return report;
  }

  /**
   * What {@link Instance.apply} of `settings` would change now, without applying it:
   * started, stopped, replaced (an entry that differs, or of a kind whose factory
   * changed in the kind registry since the last apply) and unchanged processors, and
   * the sections that need a restart.
   */
  diff(settings: InstanceSettings): ApplyReport {
    return this.live.diff(settings);
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
    await quiesceAll(this.processors.values(), this.settings.shutdown.graceMs, this.prosa.logger);
    await this.prosa.stop(reason);
  }
}

/**
 * Builds the bus and its processors from validated settings (as `validateSettings` or
 * `loadSettings` return them). Nothing runs until `start()`. Throws a
 * {@link SettingsError} listing every processor whose factory or spec failed; the
 * half-built bus is then stopped.
 */
export function buildInstance(settings: InstanceSettings, options: BuildOptions): Instance {
  const logging = instanceLogging(settings, { logger: options.logger });
  const logger = logging.logger;
  const prosa = createProsa({
    name: settings.name,
    logger,
    maskPayload: options.maskPayload ?? logging.maskPayload,
    inspect: options.inspect,
    shutdown: settings.shutdown,
    requestTimeoutMs: settings.requestTimeoutMs,
    observer: options.observer,
    tracing: options.tracing,
  });
  const directives = createDirectives(prosa, { logger });
  directives.handle(
    'LoadProcessor',
    loadProcessorHandler(prosa, { kinds: options.kinds, logger, quiesceMs: settings.shutdown.graceMs }),
  );
  directives.handle('ApplySettings', applySettingsHandler(directives));
  // Every processor is built synchronously here, by its LoadProcessor's resolver.
  const live = new LiveSettings(directives, settings, options.kinds);
  const issues: SettingsIssue[] = live.buildErrors().map(({ index, entry, error }) => {
    if (error instanceof LoadProcessorError && error.kind === 'UnknownKind') {
      const path = formatPath(['processors', index, 'kind']);
      return settingsIssue(path, `one of the known kinds: ${options.kinds.kinds().join(', ')}`, JSON.stringify(entry.kind));
    }
    const path = formatPath(['processors', index, 'settings']);
    const cause = error instanceof LoadProcessorError && error.cause !== undefined ? error.cause : error;
    // A factory's error may quote its settings: their secrets are left out.
    const detail = redactSecrets(messageOf(cause), secretsIn(entry.settings, options.kinds.get(entry.kind)?.settings));
    return settingsIssue(path, `settings kind '${entry.kind}' can build a processor from`, `an error: ${detail}`);
  });
  const nats = settings.transport?.nats;
  if (nats !== undefined) {
    const make = options.transports?.nats;
    if (make === undefined) {
      issues.push(settingsIssue('transport.nats', 'a section this program can link through (it was given no NATS transport)', 'a NATS transport section'));
    } else {
      try {
        prosa.attachTransport(make(nats));
      } catch (error) {
        const detail = redactSecrets(messageOf(error), secretsIn(nats, natsSettingsSchema));
        issues.push(settingsIssue('transport.nats', 'settings a NATS transport can be made from', `an error: ${detail}`));
      }
    }
  }
  if (issues.length > 0) {
    directives.close();
    void prosa.stop('build failed');
    throw new SettingsError('InvalidSettings', settings.name, issues);
  }
  return new Instance(prosa, directives, live, options.kinds);
}

/**
 * What {@link buildInstance} refuses in validated settings (factories, processor specs,
 * transports), found without starting anything: builds the instance, then stops it at
 * once. Resolves with the issues (none when it builds). `prosa validate` runs it after
 * the settings checks, so that it refuses exactly what `prosa run` refuses.
 * `options.logger` defaults to a logger that writes nothing here, whatever level a processor
 * asks for: a check logs nothing.
 */
export async function checkBuild(settings: InstanceSettings, options: BuildOptions): Promise<SettingsIssue[]> {
  let instance: Instance;
  try {
    instance = buildInstance(settings, { ...options, logger: options.logger ?? silentLogger(settings.name) });
  } catch (error) {
    if (error instanceof SettingsError) return [...error.issues];
    throw error;
  }
  await instance.stop('checked');
  return [];
}

/**
 * Validates `input` (a settings object, e.g. parsed from a file) and builds its
 * instance. Throws a {@link SettingsError} listing every issue.
 */
export function createInstance(input: unknown, options: BuildOptions & Omit<ValidateOptions, 'kinds' | 'locate'>): Instance {
  const settings = validateSettings(input, { kinds: options.kinds, source: options.source, env: options.env });
  return buildInstance(settings, options);
}
