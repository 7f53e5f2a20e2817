/**
 * Kind registry: processor kind name -> its factory. Settings files name kinds; the
 * loader and the builder look them up here. The built-in kinds come from
 * `defaultKinds()` (src/processors), which returns a registry holding them; plugins
 * (src/plugins) add theirs. For each kind it also keeps the module its factory can be
 * imported from again (what a worker thread needs) and a revision that changes when the
 * kind's factory is replaced (what a live apply needs to replace its processors).
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
   * an array holding this kind's factory (by kind name). A worker thread imports it to
   * build the kind's adaptor there: a kind registered without it cannot run on threads
   * (`threads: 0` only). Plugins give their module's URL, the built-in kinds
   * `src/processors/builtins`'.
   * @defaultValue none: the kind can be built on the main thread only
   */
  module?: string;
}

/** What the registry keeps of one kind. */
interface Registration {
  readonly factory: ProcessorFactory;
  readonly module: string | undefined;
}

/** Processor kinds known to a loader and builder. */
export class KindRegistry {
  private readonly registrations = new Map<string, Registration>();
  /** A number per factory object, given at its first registration: the kind's revision while it is registered. */
  private readonly revisions = new WeakMap<ProcessorFactory, number>();
  private nextRevision = 1;

  /**
   * A registry holding `factories` (none by default), each registered with `options`.
   * Throws as {@link KindRegistry.register} does.
   */
  constructor(factories: Iterable<ProcessorFactory> = [], options: RegisterOptions = {}) {
    for (const factory of factories) this.register(factory, options);
  }

  /**
   * Adds a kind. Returns the disposer that removes it again (idempotent; it removes only
   * this factory, not a later one registered under the same kind). Throws a
   * {@link KindError} `DuplicateKind` when the kind is taken: dispose the other first to
   * replace it. Validation and building look kinds up when they run, so register before
   * loading the settings that use the kind. `options.module` is what
   * {@link KindRegistry.moduleOf} gives for the kind.
   */
  register(factory: ProcessorFactory, options: RegisterOptions = {}): () => void {
    const kind: unknown = factory?.kind;
    if (typeof kind !== 'string' || kind.length === 0) {
      throw new KindError('InvalidFactory', String(kind), `a factory needs a non-empty kind name, got ${JSON.stringify(kind)}`);
    }
    if (typeof factory.create !== 'function' || typeof factory.settings?.safeParse !== 'function') {
      throw new KindError('InvalidFactory', kind, `factory '${kind}' needs a zod settings schema and a create function`);
    }
    const module: unknown = options.module;
    if (module !== undefined && (typeof module !== 'string' || !module.startsWith('file:'))) {
      throw new KindError('InvalidFactory', kind, `the module of kind '${kind}' must be a file: URL, got ${JSON.stringify(String(module))}`);
    }
    if (this.registrations.has(kind)) {
      throw new KindError('DuplicateKind', kind, `processor kind '${kind}' is already registered`);
    }
    const registration: Registration = { factory, module };
    this.registrations.set(kind, registration);
    if (!this.revisions.has(factory)) this.revisions.set(factory, this.nextRevision++);
    return () => {
      if (this.registrations.get(kind) === registration) this.registrations.delete(kind);
    };
  }

  /** The factory of `kind`, if registered. */
  get(kind: string): ProcessorFactory | undefined {
    return this.registrations.get(kind)?.factory;
  }

  /** True when `kind` is registered. */
  has(kind: string): boolean {
    return this.registrations.has(kind);
  }

  /**
   * The URL of the module `kind`'s factory was registered from (`RegisterOptions.module`):
   * importing it gives a `kinds` (or default) export holding the kind's factory. Undefined when
   * the kind is not registered or was registered without one.
   */
  moduleOf(kind: string): string | undefined {
    return this.registrations.get(kind)?.module;
  }

  /**
   * The revision of `kind`: a number that stays the same while the same factory object is
   * registered under it (disposed and registered again included) and differs once another
   * factory replaces it. An instance replaces the processors of a kind whose revision
   * changed when settings are next applied. Undefined when the kind is not registered.
   */
  revision(kind: string): number | undefined {
    const factory = this.registrations.get(kind)?.factory;
    return factory === undefined ? undefined : this.revisions.get(factory);
  }

  /** Registered kind names, sorted. */
  kinds(): string[] {
    return [...this.registrations.keys()].sort();
  }

  /** Registered factories, sorted by kind. */
  list(): ProcessorFactory[] {
    return this.kinds().map((kind) => this.registrations.get(kind)!.factory);
  }
}
