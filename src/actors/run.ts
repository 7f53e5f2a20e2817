/**
 * A run of a processor's adaptor, from one `init` to its end, and the one place a crash is made.
 *
 * A run holds the abort signal and the `ctx` it gives the adaptor, and makes its `init`
 * and `terminate` calls. Whatever ends a run in error, a failed `init` or `ctx.fail`, is
 * wrapped into a {@link Crash} once, in {@link Run.fail} (a crash ends the run: it is
 * made when it happens, not inside the machine).
 */
import pTimeout from 'p-timeout';
import type { Logger } from 'pino';
import type { Tvf } from '../tvf/tvf.js';
import { messageOf, safeError } from '../tvf/unknown-value.js';
import type { Crash } from '../machines/processor.machine.js';
import type { Adaptor, ProcessorContext } from './adaptor.js';
import { ProcessorError } from './errors.js';
import type { RequestTracing } from './request-context.js';
import type { RequestOptions } from './requests.js';

/** Reason of every run's abort signal: shared, since `abort()` would otherwise build a DOMException per run. */
const RUN_ENDED = Object.freeze(new Error('the processor run ended (crash or stop)'));

/** Awaited before adaptor code runs, so that it runs after the transition in progress. */
const OUTSIDE_ACTIONS = Promise.resolve();

/** What a run needs of its processor. */
export interface RunOwner {
  /** The processor's name. */
  readonly processor: string;
  /** The processor's logger. */
  readonly logger: Logger;
  /** The bus's tracing (undefined when off), handed to the adaptor as `ctx.tracing`. */
  readonly tracing: RequestTracing | undefined;
  /** Counts an ignored request-context header (`ProcessorContext.contextIgnored`). */
  contextIgnored(): void;
  /** Sends a request with the processor as its origin (never throws). */
  request(service: string, payload: Tvf, options: RequestOptions | undefined): Promise<Tvf>;
  /** Told of the run's crash, once the error is made safe: sends `proc.crashed` to the machine. */
  crashed(crash: Crash): void;
}

/** One run of an adaptor. */
export class Run {
  /** What the adaptor is given: a new one per run, so a stale run's `fail` cannot crash the next. */
  readonly ctx: ProcessorContext;
  private readonly owner: RunOwner;
  private readonly controller = new AbortController();

  constructor(owner: RunOwner) {
    this.owner = owner;
    this.ctx = {
      name: owner.processor,
      logger: owner.logger,
      signal: this.controller.signal,
      request: (service: string, payload: Tvf, options?: RequestOptions) => owner.request(service, payload, options),
      fail: (error: unknown) => this.fail(error),
      tracing: owner.tracing,
      contextIgnored: () => owner.contextIgnored(),
    };
  }

  /** True once the run ended (its signal is aborted). */
  get ended(): boolean {
    return this.controller.signal.aborted;
  }

  /** Ends the run: aborts its signal. Idempotent. */
  end(): void {
    this.controller.abort(RUN_ENDED);
  }

  /**
   * Ends the run in a crash caused by `error`: recoverable unless a `ProcessorError` says
   * otherwise, its error made safe to log and inspect (`safeError`), stamped with the
   * time. Ignored once the run ended. Never throws.
   */
  fail(error: unknown): void {
    if (this.ended) return;
    this.owner.crashed({ error: safeError(error), ...restartOf(error), at: performance.now() });
  }

  /**
   * Calls the adaptor's `init`, bounded by `timeoutMs`, one microtask later: the machine
   * invokes this from a transition, and adaptor code must not run inside an XState action
   * (an actor it creates there, a directive for one, makes XState warn and sees a half-done
   * transition). A run that ended meanwhile skips `init`. Never rejects: a failure is the
   * run's crash ({@link Run.fail}).
   */
  async init(adaptor: Adaptor, timeoutMs: number): Promise<void> {
    await OUTSIDE_ACTIONS;
    if (this.ended) return;
    try {
      const init = adaptor.init;
      if (init === undefined) return;
      await pTimeout(Promise.resolve(init.call(adaptor, this.ctx)), {
        milliseconds: timeoutMs,
        message: new ProcessorError(`init did not finish within ${timeoutMs} ms`, { kind: 'InitTimeout' }),
      });
    } catch (error) {
      this.fail(error);
    }
  }

  /** Calls the adaptor's `terminate`, one microtask later, outside any XState action (see `init`). Never rejects: a failure is logged. */
  async terminate(adaptor: Adaptor): Promise<void> {
    await OUTSIDE_ACTIONS;
    try {
      await adaptor.terminate?.(this.ctx);
    } catch (error) {
      this.owner.logger.warn({ err: safeError(error) }, `adaptor terminate failed: ${messageOf(error)}`);
    }
  }
}

/** What a `ProcessorError` says of its restart, read without trusting it; a restart after no delay for anything else. */
function restartOf(error: unknown): { recoverable: boolean; retryAfterMs: number } {
  try {
    if (error instanceof ProcessorError) {
      const { recoverable, retryAfterMs } = error;
      return {
        recoverable: recoverable !== false,
        retryAfterMs: typeof retryAfterMs === 'number' && retryAfterMs > 0 && Number.isFinite(retryAfterMs) ? retryAfterMs : 0,
      };
    }
  } catch {
    // unreadable (a Proxy whose traps throw, a throwing getter): a recoverable crash, as for any other error
  }
  return { recoverable: true, retryAfterMs: 0 };
}
