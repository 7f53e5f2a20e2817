/**
 * `LoadProcessor { name, kind, settings, ... }`: one processor built from its settings
 * entry through its kind's factory, added to the bus and started (with the bus, or at
 * once when it runs). Its one value is the running processor; when the last reference
 * goes the processor is quieted, drained and removed. The settings file's processors are
 * all started this way (through `ApplySettings`), so one path builds everything.
 *
 * Two entries that differ in any field (kind, settings, restart, queue, init timeout,
 * threads, log level) are different directives: applying the other one replaces the
 * processor. So are two builds of one entry by different factories of its kind
 * (`kindRevision`): a reloaded plugin replaces the processors of its kinds.
 */
import type { Logger } from 'pino';
import type { DirectiveShape, Processor, Prosa, ResolverShape } from '../actors/index.js';
import type { FactoryProduct } from '../config/factory.js';
import type { KindRegistry } from '../config/registry.js';
import { secretsIn } from '../config/sensitive.js';
import type { ProcessorSettings } from '../config/settings-schema.js';
import { defineDirective } from '../directives/directive.js';
import { directivesOf } from '../directives/directives.js';
import { callbackResolver, type ResolverHandle } from '../directives/resolver.js';
import { processorLogger } from '../observability/logger.js';
import { redactSecrets } from '../observability/secrets.js';
import { ProsaError } from '../tvf/prosa-error.js';
import { threadAdaptor } from '../threads/thread-adaptor.js';
import { messageOf, safeError } from '../tvf/unknown-value.js';
import { quiesceAll } from './quiesce.js';
import { whenRemoved } from './removal.js';

/** The running processor a {@link LoadProcessor} holds (config's `InstanceProcessor`). */
export interface LoadedProcessor {
  /** Its settings entry, validated. */
  readonly settings: ProcessorSettings;
  /** Its handle on the bus. */
  readonly processor: Processor;
  /** What its factory built. */
  readonly product: FactoryProduct;
}

/** Parameters of {@link LoadProcessor}: a settings entry, and the revision of its kind's factory. */
export type LoadProcessorParams = ProcessorSettings & {
  /**
   * The kind's revision in the instance: how many times a new factory of the kind
   * (`KindRegistry.revision` changed) was applied since the instance was built. Part of
   * the directive's key, so each new factory makes a new directive; left out while 0, so
   * a processor whose kind never changed is `LoadProcessor(entry)`. Not part of the
   * loaded processor's `settings`.
   * @defaultValue none (0)
   */
  readonly kindRevision?: number;
};

/** The parameters of `entry`'s {@link LoadProcessor} under `revisions` (kind -> its revision in the instance; 0 when left out). */
export function loadProcessorParams(entry: ProcessorSettings, revisions: Readonly<Record<string, number>> = {}): LoadProcessorParams {
  const kindRevision = Object.hasOwn(revisions, entry.kind) ? revisions[entry.kind] : undefined;
  return kindRevision === undefined ? entry : { ...entry, kindRevision };
}

/** One processor, as its settings entry declares it (validated: defaults filled). */
export const LoadProcessor = defineDirective<LoadProcessorParams, LoadedProcessor>({
  kind: 'LoadProcessor',
  // Named by the processor: the key is the whole entry, settings and their secrets included.
  label: (entry) => (typeof entry?.name === 'string' ? entry.name : ''),
  maxValues: 1,
  validate: (entry) => {
    if (typeof entry?.name !== 'string' || entry.name.length === 0) throw new TypeError('name must be a non-empty string');
    if (typeof entry.kind !== 'string' || entry.kind.length === 0) throw new TypeError('kind must be a non-empty string');
  },
});

/** Kinds of {@link LoadProcessorError}. */
export type LoadProcessorErrorKind =
  /** No factory for the kind. */
  | 'UnknownKind'
  /** The factory or the bus refused the processor. */
  | 'BuildFailed';

/**
 * A factory or spec failure of a {@link LoadProcessor}, naming the processor and kind.
 * Its message never quotes a secret of the entry's settings (they are redacted), nor
 * does its `cause` when the cause's message did.
 */
export class LoadProcessorError extends ProsaError<LoadProcessorErrorKind> {
  override readonly name = 'LoadProcessorError';
  /** The processor at fault. */
  readonly processor: string;
  /** Its kind. */
  readonly processorKind: string;

  /**
   * @param secrets - the secret texts of the entry's settings (`secretsIn`), redacted from
   *   `detail` and from the cause.
   *
   * `recoverable` is always true: retried with backoff, as every resolver failure (the kind
   * may be registered, the backend may come back).
   */
  constructor(kind: LoadProcessorErrorKind, entry: ProcessorSettings, detail: string, cause?: unknown, secrets: readonly string[] = []) {
    const clean = redactSecrets(detail, secrets);
    super(kind, `processor '${entry.name}' (kind '${entry.kind}'): ${clean}`, {
      recoverable: true,
      cause: cause === undefined ? undefined : redactedCause(cause, secrets),
    });
    this.processor = entry.name;
    this.processorKind = entry.kind;
  }
}

/** What the {@link LoadProcessor} handler builds with. */
export interface LoadProcessorOptions {
  /** The processor kinds. */
  kinds: KindRegistry;
  /** The bus logger: each processor gets a child with `proc` bound, at its own `log.level` when set. */
  logger: Logger;
  /**
   * Longest wait for a processor's `quiesce` before it is drained and removed.
   * @defaultValue 5000
   */
  quiesceMs?: number;
}

/**
 * `cause` as it may be kept and logged: itself when neither its message nor its stack
 * quotes a secret, else an `Error` of the same name with both redacted.
 */
function redactedCause(cause: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0) return cause;
  const safe = safeError(cause); // reads without running the cause's own code
  const text = safe.message;
  const stack = typeof safe.stack === 'string' ? safe.stack : '';
  if (redactSecrets(text, secrets) === text && redactSecrets(stack, secrets) === stack) return cause;
  const copy = new Error(redactSecrets(text, secrets));
  copy.name = typeof safe.name === 'string' ? safe.name : 'Error';
  copy.stack = redactSecrets(stack, secrets);
  return copy;
}

/**
 * What a processor on `threads: N` runs: the services its factory gave, and an adaptor
 * that builds the kind's own adaptor in each worker from the module the kind was
 * registered from. The main thread's product only names the services: its `report` and
 * `quiesce` would speak of an adaptor that never runs, so they are left out.
 */
function threadedProduct(entry: ProcessorSettings, built: FactoryProduct, kinds: KindRegistry, instance: string): FactoryProduct {
  const module = kinds.moduleOf(entry.kind);
  if (module === undefined) {
    throw new Error(`kind '${entry.kind}' was registered without its module (register(factory, { module })), so it cannot run on threads: set threads: 0`);
  }
  return {
    services: built.services,
    adaptor: threadAdaptor({ module, kind: entry.kind, settings: entry.settings, instance, threads: entry.threads }),
  };
}

/**
 * Quiets, drains and removes a loaded processor (once its directive lets it go).
 * Resolves when it is off the bus; never rejects (failures are logged).
 */
async function retire(prosa: Prosa, loaded: LoadedProcessor, quiesceMs: number, logger: Logger): Promise<void> {
  const { processor } = loaded;
  // A stopping bus stops every processor itself; the handles stay listed with their final state.
  if (prosa.state === 'stopping' || prosa.state === 'stopped') return;
  if (prosa.get(processor.name) !== processor) return;
  try {
    if (processor.state === 'serving') await quiesceAll([loaded], quiesceMs, logger);
    await prosa.remove(processor.name);
  } catch (error) {
    logger.warn({ err: safeError(error), proc: processor.name }, 'removing a processor failed');
  }
}

/**
 * The bus-level handler that resolves {@link LoadProcessor} through the kind registry:
 * register it with `directives.handle('LoadProcessor', loadProcessorHandler(prosa, options))`.
 *
 * Its resolver waits until the processor's name is free on the bus (a processor being
 * replaced drains first), builds the processor through its factory, adds it to the bus
 * and gives it as the value, whose release quiets, drains and removes it. A factory that
 * throws fails the resolver (restarted with backoff, reported on the directive). Each
 * factory gets the bus's directive registry as `FactoryContext.directives`.
 */
export function loadProcessorHandler(
  prosa: Prosa,
  options: LoadProcessorOptions,
): (directive: DirectiveShape) => readonly ResolverShape[] | undefined {
  const quiesceMs = options.quiesceMs ?? 5_000;
  const build = (entry: ProcessorSettings, handle: ResolverHandle<LoadedProcessor>): void => {
    const factory = options.kinds.get(entry.kind);
    if (factory === undefined) {
      throw new LoadProcessorError('UnknownKind', entry, `no factory for kind '${entry.kind}' (known: ${options.kinds.kinds().join(', ')})`);
    }
    const logger = processorLogger(options.logger, entry.name, entry.log.level);
    let loaded: LoadedProcessor;
    try {
      const built = factory.create(entry.settings, {
        name: entry.name,
        instance: prosa.name,
        logger,
        directives: directivesOf(prosa),
      });
      const product = entry.threads === 0 ? built : threadedProduct(entry, built, options.kinds, prosa.name);
      const processor = prosa.processor(entry.name, {
        services: product.services,
        adaptor: product.adaptor,
        restart: entry.restart,
        queue: entry.queue,
        initTimeoutMs: entry.initTimeoutMs,
        logger,
      });
      loaded = { settings: entry, processor, product };
    } catch (error) {
      throw new LoadProcessorError('BuildFailed', entry, messageOf(error), error, secretsIn(entry.settings, factory.settings));
    }
    const id = handle.add(loaded, { release: (value) => void retire(prosa, value, quiesceMs, options.logger) });
    if (id === undefined) {
      void retire(prosa, loaded, quiesceMs, options.logger);
      return;
    }
    handle.idle();
  };
  return (directive) => {
    if (!LoadProcessor.is(directive)) return undefined;
    const { kindRevision: _revision, ...entry } = directive.params;
    const resolver = callbackResolver<LoadedProcessor>('factory', (handle) => {
      let synchronous = true;
      const stopWaiting = whenRemoved(prosa, entry.name, () => {
        if (synchronous) {
          build(entry, handle); // a throw here fails this run at once
          return;
        }
        try {
          build(entry, handle);
        } catch (error) {
          handle.fail(error);
        }
      });
      synchronous = false;
      return stopWaiting;
    });
    return [resolver];
  };
}
