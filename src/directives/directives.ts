/**
 * The directives of one bus (Controller Bus's directive controller): de-duplicates
 * directives into instances, hands out references, and asks every handler (each serving
 * processor's `ProcessorSpec.directives`, and the bus-level handlers registered here)
 * for resolvers. A processor's resolvers live while it serves; a handler's while it is
 * registered. When the bus starts stopping, the registry closes.
 */
import type { Logger } from 'pino';
import type { DirectiveShape, Processor, Prosa, ResolverShape } from '../actors/index.js';
import { restartPolicy, type RestartPolicy } from '../machines/restart-policy.js';
import type { DirectiveState } from '../machines/directive.machine.js';
import { systemClock, type Clock } from './clock.js';
import { checkDirective, type Directive } from './directive.js';
import { DirectiveError } from './errors.js';
import { DirectiveInstance, type InstanceHost } from './instance.js';
import { lookupServiceHandler } from './lookup-service.js';
import type { DirectiveReference, DirectiveValue, ResolverFailure, ResolverInfo } from './reference.js';
import { safeError } from '../tvf/unknown-value.js';

/** Options of {@link createDirectives}. */
export interface DirectivesOptions {
  /**
   * Timers of grace periods, value lifetimes, resolver backoff and waits (XState's
   * `SimulatedClock` fits, for tests).
   * @defaultValue the process's timers
   */
  clock?: Clock;
  /** Backoff of failed resolvers: the first delay, doubled for each failure in a row up to the ceiling. */
  resolverRestart?: {
    /**
     * Delay before the first restart.
     * @defaultValue 100
     */
    delayMs?: number;
    /**
     * Ceiling of the doubled delay.
     * @defaultValue 10000
     */
    maxDelayMs?: number;
  };
  /**
   * Logger of resolver failures and handler errors.
   * @defaultValue the bus logger
   */
  logger?: Logger;
}

/**
 * A bus-level handler: asked once for each directive instance while registered (for those
 * that exist when it registers, and for each new one). Returns the resolvers to start, or
 * nothing. Must not block; a throw counts as nothing and is logged.
 */
export type BusDirectiveHandler = (directive: DirectiveShape) => readonly ResolverShape[] | undefined | void;

/** A directive instance as {@link Directives.instances} lists it. */
export interface DirectiveInfo {
  /** Its name in logs and the inspector (`describeDirective`): `kind:label`, `kind{key}` or `kind#<hash>`. */
  readonly name: string;
  /** The instance's directive. */
  readonly directive: Directive;
  /** Lifecycle state. */
  readonly state: DirectiveState;
  /** References held. */
  readonly references: number;
  /** Values held, in the order they were added. */
  readonly values: readonly DirectiveValue<unknown>[];
  /** Resolvers attached and where they are. */
  readonly resolvers: readonly ResolverInfo[];
  /** Failures of resolvers now backing off. */
  readonly errors: readonly ResolverFailure[];
}

/** Something that gives resolvers: a processor or a bus-level handler. */
interface Source {
  readonly name: string;
  ask(directive: DirectiveShape): readonly ResolverShape[];
}

/** The directives of one bus. */
export class Directives implements InstanceHost {
  /** The bus. */
  readonly prosa: Prosa;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly restart: RestartPolicy;

  private readonly instancesById = new Map<string, DirectiveInstance>();
  private instanceCount = 0;
  private readonly sources = new Map<string, Source>();
  private isClosed = false;
  private readonly detach: () => void;

  /** @internal Use {@link createDirectives} or {@link directivesOf}. */
  constructor(prosa: Prosa, options: DirectivesOptions = {}) {
    this.prosa = prosa;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? prosa.logger;
    this.restart = restartPolicy({
      delayMs: options.resolverRestart?.delayMs,
      maxDelayMs: options.resolverRestart?.maxDelayMs,
    });
    const onState = ({ processor, state, previous }: { processor: Processor; state: string; previous: string }) => {
      if (state === 'serving') {
        if (processor.handlesDirectives) this.addSource(processorSource(processor));
      } else if (previous === 'serving') this.removeSource(processorSource(processor).name);
    };
    const onMain = ({ state }: { state: string }) => {
      if (state === 'stopping' || state === 'stopped') this.close();
    };
    prosa.events.on('processor.state', onState);
    prosa.events.on('main.state', onMain);
    this.detach = () => {
      prosa.events.off('processor.state', onState);
      prosa.events.off('main.state', onMain);
    };
    this.handle('LookupService', lookupServiceHandler(prosa));
    for (const processor of prosa.processors()) {
      if (processor.state === 'serving' && processor.handlesDirectives) this.addSource(processorSource(processor));
    }
    if (prosa.state === 'stopping' || prosa.state === 'stopped') this.close();
  }

  get inspect() {
    return this.prosa.inspect;
  }

  /** True once closed: no new directive is taken. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Adds a directive, or joins the live instance of an equivalent one (same kind, same
   * key; one in its grace period is kept), and returns a new reference to it. A new
   * instance is validated (`validate()` included), then every handler is asked for
   * resolvers, which start at once. Throws a `DirectiveError`: `InvalidDirective`, or
   * `Closed` once the registry is closed.
   */
  add<V>(directive: Directive<V>): DirectiveReference<V> {
    if (this.isClosed) {
      const name = typeof directive?.kind === 'string' ? directive.kind : 'directive';
      throw new DirectiveError('Closed', `the directives of bus '${this.prosa.name}' are closed: cannot add ${name}`);
    }
    const limits = checkDirective(directive as Directive);
    const id = `${directive.kind}\u0000${directive.key}`;
    let instance = this.instancesById.get(id);
    if (instance === undefined || !instance.live) {
      instance = new DirectiveInstance(this, directive as Directive, id, limits, ++this.instanceCount);
      this.instancesById.set(id, instance);
      const reference = instance.reference();
      for (const source of [...this.sources.values()]) this.ask(source, instance);
      instance.attach();
      return reference as DirectiveReference<V>;
    }
    return instance.reference() as DirectiveReference<V>;
  }

  /**
   * Registers a bus-level handler under a unique name (its resolvers report it as their
   * source). It is asked at once about every live instance. Returns the disposer, which
   * stops its resolvers and removes their values (idempotent). Throws a `DirectiveError`
   * `InvalidDirective` when the name is taken.
   */
  handle(name: string, handler: BusDirectiveHandler): () => void {
    const sourceName = `bus:${name}`;
    if (this.sources.has(sourceName)) {
      throw new DirectiveError('InvalidDirective', `a directive handler named '${name}' is already registered`);
    }
    const source: Source = {
      name: sourceName,
      ask: (directive) => handler(directive) ?? [],
    };
    this.addSource(source);
    return () => {
      if (this.sources.get(sourceName) === source) this.removeSource(sourceName);
    };
  }

  /** The live instances (disposing ones included), in creation order, with their values and resolvers: for tools and tests. */
  instances(): DirectiveInfo[] {
    return [...this.instancesById.values()].map(describeInstance);
  }

  /**
   * The live instance equivalent to `directive`, described, or undefined when there is
   * none. Unlike {@link Directives.add} it never makes an instance nor a reference.
   */
  info(directive: Directive): DirectiveInfo | undefined {
    const instance = this.instancesById.get(`${directive.kind}\u0000${directive.key}`);
    return instance === undefined || !instance.live ? undefined : describeInstance(instance);
  }

  /**
   * Closes the registry: every instance is disposed now (its values removed, their
   * `release` hooks called, its references released), every handler dropped, and no new
   * directive is taken. Idempotent. Runs on its own when the bus starts stopping.
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.detach();
    for (const instance of [...this.instancesById.values()]) instance.close();
    this.instancesById.clear();
    this.sources.clear();
  }

  /** Part of {@link InstanceHost}: an instance was disposed, forget it. */
  forget(instance: DirectiveInstance): void {
    if (this.instancesById.get(instance.id) === instance) this.instancesById.delete(instance.id);
  }

  private addSource(source: Source): void {
    if (this.isClosed || this.sources.has(source.name)) return;
    this.sources.set(source.name, source);
    for (const instance of [...this.instancesById.values()]) this.ask(source, instance);
  }

  private removeSource(name: string): void {
    if (!this.sources.delete(name)) return;
    for (const instance of [...this.instancesById.values()]) instance.dropSource(name);
  }

  private ask(source: Source, instance: DirectiveInstance): void {
    if (!instance.live) return;
    let resolvers: readonly ResolverShape[];
    try {
      resolvers = source.ask(instance.directive);
    } catch (error) {
      this.logger.warn({ err: safeError(error), directive: instance.name, source: source.name }, 'directive handler failed');
      return;
    }
    if (resolvers.length > 0) instance.addResolvers(source.name, resolvers);
  }
}

function describeInstance(instance: DirectiveInstance): DirectiveInfo {
  return {
    name: instance.name,
    directive: instance.directive,
    state: instance.state,
    references: instance.referenceCount,
    values: instance.entries(),
    resolvers: instance.resolvers(),
    errors: instance.failures(),
  };
}

/** The source of a processor: its `ProcessorSpec.directives`, while it serves. */
function processorSource(processor: Processor): Source {
  return { name: processor.name, ask: (directive) => processor.resolversFor(directive) };
}

const attached = new WeakMap<Prosa, Directives>();

/**
 * Attaches a directive registry to a bus, with the built-in `LookupService` handler.
 * Throws a `DirectiveError` `AlreadyAttached` when the bus has one (use {@link directivesOf}).
 */
export function createDirectives(prosa: Prosa, options: DirectivesOptions = {}): Directives {
  if (attached.has(prosa)) {
    throw new DirectiveError('AlreadyAttached', `bus '${prosa.name}' already has its directives`);
  }
  const directives = new Directives(prosa, options);
  attached.set(prosa, directives);
  return directives;
}

/** The directive registry of a bus, attached with default options on first use. */
export function directivesOf(prosa: Prosa): Directives {
  return attached.get(prosa) ?? createDirectives(prosa);
}
