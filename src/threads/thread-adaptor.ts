/**
 * A processor's adaptor run on worker threads (ProSA's `get_proc_threads()`): the
 * main-thread side. To its processor it is an ordinary {@link Adaptor}, so the lifecycle
 * machine, the service table, metrics and the inspector see nothing new; behind it, each
 * run of the processor starts `threads` workers, each building its own adaptor instance
 * from a module (worker.ts), and spreads requests over them, least in flight first.
 *
 * A worker that throws, exits or is killed is a crash of its processor (`ctx.fail`):
 * recoverable unless its error says otherwise; the requests it held end `unreachable`,
 * once each. At the end of a run every worker is stopped: its adaptor's `terminate` runs
 * there, and a worker that does not answer in time (stuck in a loop) is terminated
 * (`worker.terminate()`), as is at once a worker still busy with requests when the run ends.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Adaptor, ProcessorContext, RequestInfo } from '../actors/adaptor.js';
import { BusError, ProcessorError, ServiceError } from '../actors/errors.js';
import { MAX_PROCESSOR_THREADS } from '../config/settings-schema.js';
import type { Tvf } from '../tvf/tvf.js';
import { messageOf } from '../tvf/unknown-value.js';
import {
  crashError,
  decodeTvf,
  encodeError,
  encodeTvf,
  Outbox,
  readWorkerBatch,
  requestError,
  TO_WORKER,
  TO_WORKER_ARITY,
  type AdaptorSource,
  type WireError,
  type WorkerInput,
  type WorkerMessages,
} from './protocol.js';

/** Default of {@link ThreadAdaptorOptions.terminateTimeoutMs}. */
export const DEFAULT_WORKER_TERMINATE_MS = 2_000;

/** How to run an adaptor on worker threads: {@link threadAdaptor}. */
export type ThreadAdaptorOptions = AdaptorSource & {
  /**
   * Worker threads, each with its own adaptor instance (an integer in [1, 64]).
   * @defaultValue 1
   */
  readonly threads?: number;
  /**
   * Longest wait, at the end of a run, for a worker's adaptor `terminate`; past it the
   * worker is terminated as it is (a stuck loop included). Keep it below the bus's
   * `terminateTimeoutMs`, which bounds the whole stop.
   * @defaultValue 2000
   */
  readonly terminateTimeoutMs?: number;
};

/** A pending request at a worker: its promise's ends. */
interface Held {
  resolve(reply: Tvf): void;
  reject(error: Error): void;
  service: string;
}

/** The worker entry, and how to start it where this module runs from TypeScript source (tests, tsx). */
const ENTRY = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/**
 * Starts the worker entry. From the built package it is a plain module; from TypeScript
 * source (under vitest or tsx, where the thread has no loader of its own) a two-line
 * bootstrap registers tsx's ESM loader in the worker first.
 */
function startWorker(input: WorkerInput): Worker {
  if (!ENTRY.pathname.endsWith('.ts')) return new Worker(ENTRY, { workerData: input });
  // `require.resolve` finds the CommonJS build of tsx's API; its ESM build sits beside it.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(ENTRY.href)}); })`;
  return new Worker(boot, { eval: true, workerData: input });
}

/** One worker of a run: the messages it posts arrive as calls of {@link WorkerMessages}. */
class Thread implements WorkerMessages {
  readonly worker: Worker;
  private readonly outbox: Outbox;
  inFlight = 0;
  /** False once it exited or was told to stop: it takes no new request. */
  alive = true;
  /** True once the thread exited. */
  private gone = false;
  private readonly held = new Map<number, Held>();
  private readonly run: ThreadRun;
  readonly index: number;
  /** Settles `whenReady` (resolve on `ready`, reject on `initFailed` or exit). */
  private started: { resolve(): void; reject(error: unknown): void } | undefined;
  private stopped: (() => void) | undefined;
  readonly whenReady: Promise<void>;

  constructor(run: ThreadRun, index: number, input: WorkerInput) {
    this.run = run;
    this.index = index;
    this.whenReady = new Promise<void>((resolve, reject) => {
      this.started = { resolve, reject };
    });
    this.worker = startWorker(input);
    this.outbox = new Outbox(this.worker, TO_WORKER_ARITY);
    this.worker.on('message', (batch: unknown) => this.receive(batch));
    this.worker.on('error', (error) => this.exited(`${this.label} threw`, encodeError(error).message));
    this.worker.on('exit', (code) => this.exited(`${this.label} exited`, `exit code ${code}`));
  }

  /** Posts a request; its reply settles the returned promise once. */
  request(id: number, service: string, payload: Tvf, info: RequestInfo): Promise<Tvf> {
    // The deadline and send time first, the clock after: the time left is never overstated.
    const deadline = info.deadline;
    const sentAt = info.sentAt;
    const now = performance.now();
    const text = encodeTvf(payload);
    return new Promise<Tvf>((resolve, reject) => {
      this.held.set(id, { resolve, reject, service });
      this.inFlight++;
      this.outbox.push(TO_WORKER.request, id, service, text, info.id, info.timeoutMs, deadline - now, now - sentAt, info.origin);
    });
  }

  /** Answers the worker's `ask` of `id` with a reply's text. */
  answer(id: number, payload: string): void {
    if (this.alive) this.outbox.push(TO_WORKER.answer, id, payload);
  }

  /** Refuses the worker's `ask` of `id` with `error`. */
  refuse(id: number, error: WireError): void {
    if (this.alive) this.outbox.push(TO_WORKER.refused, id, error);
  }

  /** Tells the worker the run ended (its adaptor's signal aborts). */
  end(): void {
    if (this.alive) this.outbox.push(TO_WORKER.end);
  }

  /** Asks the adaptor's `terminate`, waits for it at most `timeoutMs`, then ends the thread whatever it does. */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.alive) return this.kill('');
    this.alive = false;
    let answered = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.stopped = () => {
        answered = true;
        resolve();
      };
      timer = setTimeout(resolve, timeoutMs);
      this.outbox.push(TO_WORKER.terminate);
    });
    clearTimeout(timer);
    await this.kill(answered || this.gone ? '' : `its adaptor's terminate did not answer within ${timeoutMs} ms`);
  }

  /**
   * Ends the thread at once (`worker.terminate()`, which stops even an endless loop): what
   * it held ends `unreachable`. `why`, when not empty, is logged at `warn` once it is gone.
   */
  async kill(why: string): Promise<void> {
    this.alive = false;
    this.failHeld('the worker thread was terminated with the request in flight');
    if (this.gone) return;
    await this.worker.terminate();
    if (why !== '') this.run.warn(`worker thread ${this.index} terminated: ${why}`);
  }

  /**
   * A batch the worker posted, read as untrusted ({@link readWorkerBatch}): one that is
   * not a batch of ours is a crash of the processor ({@link malformed}). Never throws.
   */
  private receive(batch: unknown): void {
    const problem = readWorkerBatch(batch, this);
    if (problem !== undefined) this.malformed(problem);
  }

  /** See {@link WorkerMessages.done}: a reply whose record does not read ends its request with an error. */
  done(id: number, text: string): void {
    const held = this.take(id);
    if (held === undefined) return; // settled already (a crash, a stop): once each
    let reply: Tvf;
    try {
      reply = decodeTvf(text);
    } catch (error) {
      held.reject(new Error(`the reply cannot be read: ${messageOf(error)}`));
      return;
    }
    held.resolve(reply);
  }

  failed(id: number, error: WireError): void {
    const held = this.take(id);
    held?.reject(requestError(error, held.service, this.run.name));
  }

  ask(id: number, service: string, text: string, timeoutMs: number | undefined): void {
    this.run.ask(this, id, service, text, timeoutMs);
  }

  log(line: string): void {
    this.run.log(line);
  }

  ready(): void {
    this.started?.resolve();
  }

  initFailed(error: WireError): void {
    this.started?.reject(crashError(error, `${this.label} failed to start`));
  }

  crash(error: WireError): void {
    this.run.crash(crashError(error, `${this.label} crashed`));
  }

  terminated(): void {
    this.stopped?.();
  }

  /** How errors name this worker: `worker thread <i> of processor '<name>'`. */
  private get label(): string {
    return `worker thread ${this.index} of processor '${this.run.name}'`;
  }

  /**
   * The worker posted what no worker of ours posts: a crash of the processor
   * (recoverable: a restart starts fresh workers); what it held ends
   * `unreachable` when the run ends. The rest of its batch is dropped.
   */
  private malformed(problem: string): void {
    const error = new ProcessorError(`${this.label} sent a malformed batch: ${problem}`);
    this.started?.reject(error);
    this.run.crash(error);
  }

  private take(id: number): Held | undefined {
    const held = this.held.get(id);
    if (held === undefined) return undefined;
    this.held.delete(id);
    this.inFlight--;
    return held;
  }

  /** The thread is gone (it threw, exited or was terminated). */
  private exited(what: string, why: string): void {
    const wanted = !this.alive; // told to stop: not a crash
    this.alive = false;
    this.gone = true;
    this.failHeld(`the worker thread ended with the request in flight (${why})`);
    const error = new ProcessorError(`${what}: ${why}`);
    this.started?.reject(error);
    this.stopped?.();
    if (!wanted) this.run.crash(error);
  }

  private failHeld(detail: string): void {
    if (this.held.size === 0) return;
    const held = [...this.held.values()];
    this.held.clear();
    this.inFlight = 0;
    for (const { reject, service } of held) reject(new ServiceError('unreachable', service, this.run.name, detail));
  }
}

/** One run of a threaded processor: its workers, from `init` to `terminate`. */
class ThreadRun {
  readonly name: string;
  private readonly ctx: ProcessorContext;
  private readonly threads: Thread[] = [];
  private nextId = 1;

  constructor(ctx: ProcessorContext, source: AdaptorSource, count: number) {
    this.ctx = ctx;
    this.name = ctx.name;
    const level = ctx.logger.level;
    for (let index = 0; index < count; index++) {
      this.threads.push(new Thread(this, index, { source, name: ctx.name, index, level }));
    }
    ctx.signal.addEventListener('abort', () => this.ended(), { once: true });
  }

  /** Resolves once every worker is ready; rejects with the first that fails to start. */
  async started(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.whenReady));
    this.ctx.logger.info({ threads: this.threads.map((thread) => thread.worker.threadId) }, `started ${this.threads.length} worker thread(s)`);
  }

  /** Hands a request to the live worker with the fewest in flight. */
  request(service: string, payload: Tvf, info: RequestInfo): Promise<Tvf> {
    let best: Thread | undefined;
    for (const thread of this.threads) {
      if (thread.alive && (best === undefined || thread.inFlight < best.inFlight)) best = thread;
    }
    if (best === undefined) {
      return Promise.reject(new ServiceError('unreachable', service, this.name, 'no worker thread of the processor is running'));
    }
    return best.request(this.nextId++, service, payload, info);
  }

  /** A worker's `ctx.request` of `id`, sent as the processor; its outcome crosses back. */
  ask(thread: Thread, id: number, service: string, text: string, timeoutMs: number | undefined): void {
    let payload: Tvf;
    try {
      payload = decodeTvf(text);
    } catch (error) {
      thread.refuse(id, encodeError(new BusError('InvalidOption', `the payload cannot be read: ${messageOf(error)}`)));
      return;
    }
    const options = timeoutMs === undefined ? undefined : { timeoutMs };
    this.ctx.request(service, payload, options).then(
      (reply) => {
        let answer: string;
        try {
          answer = encodeTvf(reply);
        } catch (error) {
          thread.refuse(id, { message: `the reply cannot be written: ${messageOf(error)}`, kind: 'protocol', recoverable: false });
          return;
        }
        thread.answer(id, answer);
      },
      (error: unknown) => thread.refuse(id, encodeError(error)),
    );
  }

  /** One line of a worker's logger, written by the processor's logger (which masks what it is told to). */
  log(line: string): void {
    const logger = this.ctx.logger;
    try {
      const record = JSON.parse(line) as Record<string, unknown> & { level?: unknown; msg?: unknown };
      const { level, msg, ...fields } = record;
      const name = typeof level === 'number' ? logger.levels.labels[level] : undefined;
      const write = name === undefined ? logger.info : (logger as unknown as Record<string, typeof logger.info>)[name] ?? logger.info;
      write.call(logger, fields, typeof msg === 'string' ? msg : '');
    } catch (error) {
      logger.warn(`a worker thread's log line cannot be read: ${messageOf(error)}`);
    }
  }

  /** Logs at `warn` with the processor's logger. */
  warn(message: string): void {
    this.ctx.logger.warn(message);
  }

  crash(error: ProcessorError): void {
    this.ctx.fail(error);
  }

  /** The run ended (crash or stop): workers still busy are terminated at once, the others told. */
  private ended(): void {
    for (const thread of this.threads) {
      if (thread.inFlight > 0) void thread.kill(`it still had ${thread.inFlight} request(s) in flight when the run ended`);
      else thread.end();
    }
  }

  /** Stops every worker (see {@link Thread.stop}). */
  async stop(timeoutMs: number): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.stop(timeoutMs)));
  }
}

/**
 * An adaptor that runs on `threads` worker threads, each building its own adaptor from
 * `module` (a closure cannot cross threads): its `export` (an adaptor, or a function of
 * `options` returning one), or the factory of `kind` in its `kinds` export, built from
 * `settings`. Give it as the adaptor of a processor (`prosa.processor(name, { services,
 * adaptor: threadAdaptor({ module, export, threads }) })`); settings files say `threads: N`
 * instead. Throws a `BusError` (`InvalidOption`) naming the option at fault.
 *
 * Inside a worker the adaptor gets the same `ctx` as on the main thread: `request` (to
 * any service of the bus), `fail`, `signal`, `name`, and a `logger` whose lines the
 * processor's logger writes. It is not told of the service table (`serviceTableChanged`
 * is not forwarded). Each `init` of the processor (each restart) starts fresh workers.
 */
export function threadAdaptor(options: ThreadAdaptorOptions): Adaptor {
  const { threads = 1, terminateTimeoutMs = DEFAULT_WORKER_TERMINATE_MS } = options;
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_PROCESSOR_THREADS) {
    throw new BusError('InvalidOption', `threads must be an integer in [1, ${MAX_PROCESSOR_THREADS}], got ${messageOf(threads)}`);
  }
  if (!Number.isInteger(terminateTimeoutMs) || terminateTimeoutMs < 0) {
    throw new BusError('InvalidOption', `terminateTimeoutMs must be a non-negative integer, got ${messageOf(terminateTimeoutMs)}`);
  }
  if (typeof options.module !== 'string' || !options.module.startsWith('file:')) {
    throw new BusError('InvalidOption', `module must be a file URL (file:///...), got ${messageOf(options.module)}`);
  }
  const source: AdaptorSource = 'kind' in options
    ? { module: options.module, kind: options.kind, settings: options.settings, instance: options.instance }
    : { module: options.module, export: options.export, options: options.options };
  if ('kind' in source ? typeof source.kind !== 'string' : typeof source.export !== 'string') {
    throw new BusError('InvalidOption', `give the module's export (a string) or its kind (a string)`);
  }
  let run: ThreadRun | undefined;
  return {
    async init(ctx) {
      const current = new ThreadRun(ctx, source, threads);
      run = current;
      await current.started();
    },
    processRequest(service, request, _ctx, info) {
      if (run === undefined) return Promise.reject(new ServiceError('unreachable', service, undefined, 'the worker threads are not started'));
      return run.request(service, request, info);
    },
    async terminate() {
      const current = run;
      run = undefined;
      await current?.stop(terminateTimeoutMs);
    },
  };
}
