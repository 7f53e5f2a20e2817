/**
 * The injector's adaptor (ProSA's `inj`): sends requests to one service at a regulated
 * rate with a bounded number in flight, backs off on timeouts, and counts every outcome.
 *
 * Its loop runs as background work of each run: `init` starts it and returns at once;
 * the run's abort signal (crash, stop) ends it. Sends are paced by a token bucket
 * ({@link RateRegulator}) checked on a timer of at least {@link MIN_TICK_MS} and on every
 * reply, so a late timer is made up for in a short burst rather than lost.
 *
 * Waiting for the service: when the bus gives its directive registry (processors built
 * from settings get it), each run holds a `LookupService { service }` reference and the
 * injector waits for its first value (a provider, local or remote, that accepts
 * requests) before the first send. It pauses as soon as the reference loses its last
 * value (the provider crashed, stopped, or its instance left), and after an
 * `unreachable` error, and resumes once the reference holds a value again: so start-up
 * is not counted as failure, a provider that leaves with nothing in flight costs no
 * error, and a lost one costs one error per request in flight, not a stream of them.
 * An `unreachable` from a provider the reference still lists (an instance that died but
 * is not yet found lost) pauses for `retryDelayMs` first: the bus cannot tell when it is
 * back, and the injector never sends again without waiting for a timer or a change of
 * the table. The reference is released when the run ends or the injector is quiesced.
 * Without a registry it probes: an `unreachable` before the service was ever reached is
 * a start-up miss (counted apart, not as an error), and each `unreachable` pauses
 * sending for `retryDelayMs`.
 *
 * Errors never stop it: each is counted by kind; a timeout also slows the rate (see
 * {@link RateRegulator.backOff}); a `shutdown` error (the provider's instance, or this
 * bus, is stopping) pauses it as an `unreachable` does. Only the end of its run (this
 * bus stopping, a crash) or `quiesce` stops the sending.
 */
import type { Logger } from 'pino';
import type { Adaptor, ProcessorContext } from '../../actors/adaptor.js';
import { ServiceError, serviceErrorCounts, type ServiceErrorKind } from '../../actors/errors.js';
import { MAX_TIMEOUT_MS } from '../../actors/requests.js';
import type { Directives } from '../../directives/directives.js';
import { LookupService, type ServiceProvider } from '../../directives/lookup-service.js';
import type { DirectiveReference } from '../../directives/reference.js';
import type { SimpleStringTvf } from '../../tvf/simple-string-tvf.js';
import { buildTvf } from '../tvf-template.js';
import { LatencyRecorder } from '../../observability/latency-recorder.js';
import { RateRegulator } from './rate-regulator.js';
import type { InjectorReport } from './report.js';
import type { InjectorSettings } from './settings.js';

/** Shortest pacing timer, in milliseconds: above it sends go in small bursts instead of one timer each. */
export const MIN_TICK_MS = 4;

/** What an injector needs besides its settings. */
export interface InjectorOptions {
  /**
   * The bus's directive registry: the injector waits for its service through a
   * `LookupService` reference on it. Without it the injector probes (see the module doc).
   * @defaultValue none (probe)
   */
  directives?: Directives;
  /** Logger for the injector's own events (start, waits, backoffs). */
  logger?: Logger;
}

/** An injector's adaptor. One per processor; its counters survive restarts. */
export class InjectorAdaptor implements Adaptor {
  private readonly settings: InjectorSettings;
  private readonly template: SimpleStringTvf;
  private readonly regulator: RateRegulator;
  private readonly latency = new LatencyRecorder();
  private readonly directives: Directives | undefined;
  private readonly logger: Logger | undefined;
  private readonly requestOptions: { timeoutMs: number };

  private ctx: ProcessorContext | undefined;
  /** This run's `LookupService` reference (with a registry, while the run lasts and sends may follow). */
  private lookup: DirectiveReference<ServiceProvider> | undefined;
  /** Values the lookup lost, in all: a request sent before the last loss may have gone to the provider that left. */
  private lookupLosses = 0;
  /** True while the loop may send (not waiting for the service, not stopped). */
  private sending = false;
  /** Set by `quiesce`: no more sends, restarts included. */
  private quiesced = false;
  /** True once a request got anything but `unreachable`. */
  private reached = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private activeSince: number | undefined;
  private activeMs = 0;
  private idleWaiters: (() => void)[] = [];

  private sent = 0;
  private responses = 0;
  private startupMisses = 0;
  private inFlight = 0;
  private readonly errors = serviceErrorCounts();

  /** @throws TvfError when `settings.request` does not build a record (the schema checks it first). */
  constructor(settings: InjectorSettings, options: InjectorOptions = {}) {
    this.settings = settings;
    this.template = buildTvf(settings.request);
    this.directives = options.directives;
    this.logger = options.logger;
    this.requestOptions = { timeoutMs: settings.timeoutMs };
    this.regulator = new RateRegulator(
      {
        maxSpeed: settings.maxSpeed,
        backoffFactor: settings.backoffFactor,
        rampMs: settings.rampMs,
        backoffWindowMs: settings.timeoutMs,
      },
      performance.now(),
    );
  }

  /** Starts this run's loop in the background and returns at once. */
  init(ctx: ProcessorContext): void {
    this.stopSending();
    this.releaseLookup();
    this.ctx = ctx;
    if (this.quiesced) return;
    ctx.signal.addEventListener('abort', () => {
      if (this.ctx !== ctx) return;
      this.stopSending();
      this.releaseLookup();
    });
    // A closed registry (the bus is stopping) throws: no sends follow then anyway.
    if (this.directives !== undefined && !this.directives.closed) {
      const lookup = this.directives.add(LookupService({ service: this.settings.service }));
      this.lookup = lookup;
      lookup.subscribe({ removed: () => this.lostProvider(lookup) });
    }
    this.waitForService(ctx, 0);
  }

  /** The injector serves no service: a request to it is a `protocol` error. */
  processRequest(service: string): never {
    throw new Error(`the injector serves no service, not even '${service}'`);
  }

  /** Stops sending (the run's signal has aborted by now); replies still in flight are counted as they come. */
  terminate(): void {
    this.stopSending();
    this.releaseLookup();
  }

  /**
   * Stops sending for good (restarts included) and resolves once every request it sent
   * has settled (the bus settles each one, so this always resolves). Idempotent.
   */
  quiesce(): Promise<void> {
    this.quiesced = true;
    this.stopSending();
    this.releaseLookup();
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Figures since the injector was built; cheap, callable at any time. */
  report(): InjectorReport {
    const now = performance.now();
    const activeMs = this.activeMs + (this.activeSince === undefined ? 0 : now - this.activeSince);
    const seconds = activeMs / 1_000;
    return {
      kind: 'inj',
      service: this.settings.service,
      maxSpeed: this.settings.maxSpeed,
      currentSpeed: this.regulator.rate,
      activeMs,
      sent: this.sent,
      responses: this.responses,
      errors: { ...this.errors },
      startupMisses: this.startupMisses,
      inFlight: this.inFlight,
      sendRate: seconds > 0 ? this.sent / seconds : 0,
      tps: seconds > 0 ? this.responses / seconds : 0,
      latencyMs: this.latency.summary(),
    };
  }

  // the loop -----------------------------------------------------------------

  /**
   * Resumes after `delayMs` (none: at once) once the service has a provider: the first
   * value of the run's `LookupService` reference (at once when it holds one); without a
   * registry, as soon as the delay is over.
   */
  private waitForService(ctx: ProcessorContext, delayMs: number): void {
    const current = () => ctx === this.ctx && !ctx.signal.aborted && !this.quiesced && !this.sending;
    this.clearTimer();
    if (delayMs > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (current()) this.waitForService(ctx, 0);
      }, delayMs);
      return;
    }
    const lookup = this.lookup;
    if (this.directives === undefined) {
      if (current()) this.startSending();
      return;
    }
    if (lookup === undefined || lookup.released) return; // the run ended, or the bus is stopping
    if (lookup.values.length === 0) {
      this.logger?.info({ service: this.settings.service }, `waiting for service '${this.settings.service}'`);
    }
    lookup.firstValue().then(
      () => {
        if (current() && this.timer === undefined) this.startSending();
      },
      () => {
        /* released first: the run ended, or the bus is stopping */
      },
    );
  }

  /** The lookup lost a value (inside the table change): with none left, pause until one comes. */
  private lostProvider(lookup: DirectiveReference<ServiceProvider>): void {
    this.lookupLosses++;
    if (lookup === this.lookup && lookup.values.length === 0) this.pauseForService(0);
  }

  private startSending(): void {
    const now = performance.now();
    if (this.activeSince === undefined) {
      this.activeSince = now;
      this.logger?.info(
        { service: this.settings.service, maxSpeed: this.settings.maxSpeed, maxConcurrent: this.settings.maxConcurrent },
        'injecting',
      );
    }
    this.sending = true;
    this.regulator.reset(now);
    this.pump();
  }

  /** Stops the loop; closes the active stretch. Requests in flight keep going. */
  private stopSending(): void {
    this.sending = false;
    this.clearTimer();
    if (this.activeSince !== undefined) {
      this.activeMs += performance.now() - this.activeSince;
      this.activeSince = undefined;
    }
  }

  /** Pauses the loop until the service is back, waiting `delayMs` first; the active stretch goes on. */
  private pauseForService(delayMs: number): void {
    if (!this.sending || this.ctx === undefined) return;
    this.sending = false;
    this.waitForService(this.ctx, delayMs);
  }

  private releaseLookup(): void {
    this.lookup?.release();
    this.lookup = undefined;
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    this.pump();
  };

  /** Sends what the rate and the concurrency allow now, then arms the timer for the next send. */
  private pump(): void {
    if (!this.sending) return;
    const now = performance.now();
    const max = this.settings.maxConcurrent;
    while (this.inFlight < max && this.regulator.take(now)) this.send();
    if (this.sending && this.inFlight < max && this.timer === undefined) {
      // A rate so low that the next token is past the longest timer (2^31-1 ms) waits that long and checks again.
      this.timer = setTimeout(this.tick, Math.min(MAX_TIMEOUT_MS, Math.max(MIN_TICK_MS, this.regulator.waitMs(now))));
    }
  }

  private send(): void {
    const ctx = this.ctx!;
    this.inFlight++;
    this.sent++;
    const sentAt = performance.now();
    const losses = this.lookupLosses;
    ctx.request(this.settings.service, this.template.clone(), this.requestOptions).then(
      () => this.settled(sentAt, undefined, losses),
      (error: unknown) => this.settled(sentAt, error, losses),
    );
  }

  /** `losses`: {@link lookupLosses} when the request was sent. */
  private settled(sentAt: number, error: unknown, losses: number): void {
    this.inFlight--;
    const now = performance.now();
    if (error === undefined) {
      this.reached = true;
      this.responses++;
      this.latency.record(now - sentAt);
    } else {
      this.failed(error, now, losses);
    }
    if (this.inFlight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
    this.pump();
  }

  private failed(error: unknown, now: number, losses: number): void {
    // ctx.request settles with a ServiceError only; anything else would be a bus bug, counted as protocol.
    const kind: ServiceErrorKind = error instanceof ServiceError ? error.kind : 'protocol';
    if (kind === 'unreachable' && !this.reached && this.directives === undefined) this.startupMisses++;
    else this.errors[kind]++;
    if (kind !== 'unreachable') this.reached = true;
    if (kind === 'unreachable' || kind === 'shutdown') {
      // The provider is gone or going (a `shutdown` comes from an instance that stops, or
      // from this bus: then the run ends and no resume follows). With a registry, a
      // provider that left since the send explains it: wait for the lookup alone;
      // otherwise the provider it lists did not answer: wait a while too.
      const explained = this.directives !== undefined && losses !== this.lookupLosses;
      this.pauseForService(explained ? 0 : this.settings.retryDelayMs);
      return;
    }
    if (kind === 'timeout' && this.regulator.backOff(now)) {
      this.logger?.warn(
        { service: this.settings.service, rate: Math.round(this.regulator.rate) },
        `request timed out: slowing down to ${Math.round(this.regulator.rate)}/s`,
      );
    }
  }
}
