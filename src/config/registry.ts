/**
 * Kind registry: processor kind name -> its factory. Settings files name kinds; the
 * loader and the builder look them up here. The built-in kinds come from
 * `defaultKinds()` (src/processors), which returns a registry holding them.
 */
import { ProsaError } from '../tvf/prosa-error.js';
import type { ProcessorFactory } from './factory.js';

/** Kinds of {@link KindError}. */
export type KindErrorKind =
  /** A factory of that kind is already registered. */
  | 'DuplicateKind'
  /** The factory is malformed (no kind name, no schema, no `create`). */
  | 'InvalidFactory';

/** Misuse of a {@link KindRegistry}: a programming error, never recoverable. */
export class KindError extends ProsaError<KindErrorKind> {
  override readonly name = 'KindError';
  /** The processor kind at fault. */
  readonly processorKind: string;

  constructor(kind: KindErrorKind, processorKind: string, message: string) {
    super(kind, message, { recoverable: false });
    this.processorKind = processorKind;
  }
}

/** Options of {@link KindRegistry.register}. */
export interface RegisterOptions {
  /**
   * The file URL (`file:///...`) of a module whose `kinds` export (or default export) is
   * an array holding this factory. A worker thread imports it to build the kind's adaptor
   * there: a kind registered without it cannot run on threads (`threads: 0` only).
   */
  module?: string;
}

/** Processor kinds known to a loader and builder. */
export class KindRegistry {
  private readonly factories = new Map<string, ProcessorFactory>();
  /** Kind -> the module that exports its factory (see {@link RegisterOptions.module}). */
  private readonly modules = new Map<string, string>();

  /** A registry holding `factories` (none by default). Throws as {@link KindRegistry.register} does. */
  constructor(factories: Iterable<ProcessorFactory> = []) {
    for (const factory of factories) this.register(factory);
  }

  /**
   * Adds a kind. Returns the disposer that removes it again (idempotent; it removes only
   * this factory, not a later one registered under the same kind). Throws a
   * {@link KindError} `DuplicateKind` when the kind is taken: dispose the other first to
   * replace it. Validation and building look kinds up when they run, so register before
   * loading the settings that use the kind. `options.module` records where the factory
   * comes from, for worker threads ({@link KindRegistry.moduleOf}); it must be a string.
   */
  register(factory: ProcessorFactory, options?: RegisterOptions): () => void {
    const kind: unknown = factory?.kind;
    if (typeof kind !== 'string' || kind.length === 0) {
      throw new KindError('InvalidFactory', String(kind), `a factory needs a non-empty kind name, got ${JSON.stringify(kind)}`);
    }
    if (typeof factory.create !== 'function' || typeof factory.settings?.safeParse !== 'function') {
      throw new KindError('InvalidFactory', kind, `factory '${kind}' needs a zod settings schema and a create function`);
    }
    if (this.factories.has(kind)) {
      throw new KindError('DuplicateKind', kind, `processor kind '${kind}' is already registered`);
    }
    const module: unknown = options?.module;
    if (module !== undefined && (typeof module !== 'string' || module.length === 0)) {
      throw new KindError('InvalidFactory', kind, `the module of kind '${kind}' must be a non-empty file URL string`);
    }
    this.factories.set(kind, factory);
    if (module !== undefined) this.modules.set(kind, module);
    return () => {
      if (this.factories.get(kind) !== factory) return;
      this.factories.delete(kind);
      this.modules.delete(kind);
    };
  }

  /**
   * The module the factory of `kind` was registered from (`register(factory, { module })`):
   * what a worker thread imports to build the kind's adaptor. Undefined for a kind
   * registered without one (or not registered).
   */
  moduleOf(kind: string): string | undefined {
    return this.modules.get(kind);
  }

  /** The factory of `kind`, if registered. */
  get(kind: string): ProcessorFactory | undefined {
    return this.factories.get(kind);
  }

  /** True when `kind` is registered. */
  has(kind: string): boolean {
    return this.factories.has(kind);
  }

  /** Registered kind names, sorted. */
  kinds(): string[] {
    return [...this.factories.keys()].sort();
  }

  /** Registered factories, sorted by kind. */
  list(): ProcessorFactory[] {
    return this.kinds().map((kind) => this.factories.get(kind)!);
  }
}
