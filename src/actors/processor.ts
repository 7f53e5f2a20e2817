/**
 * Processor: a processor on a bus as its users hold it (the handle `prosa.processor()` returns).
 *
 * The handle only reads and asks its runtime (`processor-runtime.ts`), which it keeps in a
 * private field: nothing of the runtime shows in the handle's type.
 */
import type { Tvf } from '../tvf/tvf.js';
import { FINAL_PROCESSOR_STATES, type ProcessorState } from '../machines/processor.machine.js';
import type { DirectiveShape, ResolverShape } from './adaptor.js';
import { BusError } from './errors.js';
import type { ProcessorRuntime } from './processor-runtime.js';
import type { RequestOptions } from './requests.js';

/** A processor on a bus. */
export interface Processor {
  /** The processor's name. */
  readonly name: string;
  /** Services it provides. */
  readonly services: readonly string[];
  /** Current lifecycle state. */
  readonly state: ProcessorState;
  /** Requests in flight at this processor. */
  readonly inFlight: number;
  /** The error of the last crash, if any. */
  readonly lastError: unknown;
  /** True when the processor was given a directive handler (`ProcessorSpec.directives`). */
  readonly handlesDirectives: boolean;
  /**
   * Calls `listener` on every lifecycle change, synchronously, with the new state.
   * Returns the function that unsubscribes; it is safe to call during a notification.
   */
  subscribe(listener: (state: ProcessorState) => void): () => void;
  /**
   * The resolvers this processor gives for `directive` (its `ProcessorSpec.directives`
   * handler, called with the context of its current run); empty when it has no handler,
   * does not handle the directive, or the handler throws (logged). The directive layer
   * calls it while the processor serves.
   */
  resolversFor(directive: DirectiveShape): readonly ResolverShape[];
  /** Sends a request as this processor. Same contract as `ProcessorContext.request`: never throws. */
  request(service: string, payload: Tvf, options?: RequestOptions): Promise<Tvf>;
  /**
   * Resolves when the processor is in one of `states` (at once if it is). Rejects with a
   * `BusError` of kind `ProcessorEnded` if it reaches a final state that is not among them.
   */
  when(...states: ProcessorState[]): Promise<ProcessorState>;
}

/** The {@link Processor} handle of a runtime: made by the runtime, once. */
export class ProcessorHandle implements Processor {
  readonly #runtime: ProcessorRuntime;

  constructor(runtime: ProcessorRuntime) {
    this.#runtime = runtime;
  }

  get name(): string {
    return this.#runtime.processor;
  }

  get services(): readonly string[] {
    return this.#runtime.services;
  }

  get state(): ProcessorState {
    return this.#runtime.state;
  }

  get inFlight(): number {
    return this.#runtime.inFlight;
  }

  get lastError(): unknown {
    return this.#runtime.lastCrash?.error;
  }

  get handlesDirectives(): boolean {
    return this.#runtime.directives !== undefined;
  }

  subscribe(listener: (state: ProcessorState) => void): () => void {
    return this.#runtime.subscribe(listener);
  }

  resolversFor(directive: DirectiveShape): readonly ResolverShape[] {
    return this.#runtime.resolversFor(directive);
  }

  request(service: string, payload: Tvf, options?: RequestOptions): Promise<Tvf> {
    return this.#runtime.request(service, payload, options);
  }

  when(...states: ProcessorState[]): Promise<ProcessorState> {
    return new Promise((resolve, reject) => {
      const check = (state: ProcessorState): boolean => {
        if (states.includes(state)) {
          resolve(state);
          return true;
        }
        if (FINAL_PROCESSOR_STATES.has(state)) {
          reject(new BusError('ProcessorEnded', `processor '${this.name}' ended in '${state}' before reaching ${states.join(' or ')}`));
          return true;
        }
        return false;
      };
      if (check(this.state)) return;
      const off = this.subscribe((state) => {
        if (check(state)) off();
      });
    });
  }
}
