/**
 * The stub's adaptor: answers each request with its reply template (or the request
 * itself), after an optional fixed-plus-random delay, failing a chosen fraction; and,
 * with `crashEveryMs`, crashes its processor on a schedule.
 */
import type { Adaptor, ProcessorContext } from '../../actors/adaptor.js';
import { ProcessorError } from '../../actors/errors.js';
import { ProsaError } from '../../tvf/prosa-error.js';
import type { Tvf } from '../../tvf/tvf.js';
import type { SimpleStringTvf } from '../../tvf/simple-string-tvf.js';
import { randomSource, type RandomSource } from '../random.js';
import { buildTvf } from '../tvf-template.js';
import type { StubSettings } from './settings.js';

/** The error a stub answers with for the requests its `errorRate` picks. */
export class InjectedError extends ProsaError<'InjectedError'> {
  override readonly name = 'InjectedError';
  /** The service the request was for. */
  readonly service: string;

  constructor(service: string, errorRate: number) {
    // Recoverable: the same request may well succeed next time.
    super('InjectedError', `stub: error injected for '${service}' (errorRate ${errorRate})`, { recoverable: true });
    this.service = service;
  }
}

/** The crash a stub with `crashEveryMs` schedules: recoverable, so its processor restarts. */
export class ScheduledCrash extends ProcessorError {
  constructor(processor: string, crashEveryMs: number) {
    super(`stub: '${processor}' crashed on schedule (crashEveryMs ${crashEveryMs})`, { recoverable: true });
  }
}

/** A stub's adaptor. One per processor; it survives restarts. */
export class StubAdaptor implements Adaptor {
  private readonly settings: StubSettings;
  private readonly template: SimpleStringTvf | undefined;
  private readonly random: RandomSource;
  private readonly delayed: boolean;
  /** Timers of replies not yet sent; cleared by `terminate` so nothing outlives the stub. */
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();

  /** @throws TvfError when `settings.reply` does not build a record (the schema checks it first). */
  constructor(settings: StubSettings) {
    this.settings = settings;
    this.template = settings.reply === undefined ? undefined : buildTvf(settings.reply);
    this.random = randomSource(settings.seed);
    this.delayed = settings.latencyMs > 0 || settings.jitterMs > 0;
  }

  /**
   * With `crashEveryMs`, schedules this run's crash (`ctx.fail` with a {@link ScheduledCrash});
   * the run's signal cancels it when the run ends first (a stop, another crash).
   */
  init(ctx: ProcessorContext): void {
    const { crashEveryMs } = this.settings;
    if (crashEveryMs === 0) return;
    const timer = setTimeout(() => ctx.fail(new ScheduledCrash(ctx.name, crashEveryMs)), crashEveryMs);
    ctx.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  }

  /**
   * Replies to one request: synchronously when there is no delay, else through a timer.
   * An echo replies with the request record itself, not a copy.
   */
  processRequest(service: string, request: Tvf): Tvf | Promise<Tvf> {
    const { errorRate, latencyMs, jitterMs } = this.settings;
    const fail = errorRate > 0 && this.random() < errorRate;
    if (!this.delayed) {
      if (fail) throw new InjectedError(service, errorRate);
      return this.reply(request);
    }
    const delay = latencyMs + (jitterMs > 0 ? this.random() * jitterMs : 0);
    return new Promise<Tvf>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        if (fail) reject(new InjectedError(service, errorRate));
        else resolve(this.reply(request));
      }, delay);
      this.pending.add(timer);
    });
  }

  /** Clears the timers of replies still waiting (their requests have already settled by then). */
  terminate(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }

  private reply(request: Tvf): Tvf {
    return this.template === undefined ? request : this.template.clone();
  }
}
