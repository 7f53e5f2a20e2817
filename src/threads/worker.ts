/**
 * The entry of a processor's worker thread: builds the adaptor from its module, gives it
 * the same `ctx` as on the main thread (its `request`, `fail` and `logger` cross to the
 * processor there), and serves the requests the main thread posts.
 *
 * Whatever the adaptor throws, returns or leaves uncaught ends as a message to the main
 * thread: a request's reply or error, or a crash of the processor. The main thread's
 * side is thread-adaptor.ts; what crosses is protocol.ts.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { Adaptor, ProcessorContext, RequestInfo } from '../actors/adaptor.js';
import { ServiceError } from '../actors/errors.js';
import type { RequestOptions } from '../actors/requests.js';
import type { ProcessorFactory } from '../config/factory.js';
import { installReloadHook } from '../config/plugin-hooks.js';
import { isTvf } from '../tvf/is-tvf.js';
import type { Tvf } from '../tvf/tvf.js';
import { messageOf } from '../tvf/unknown-value.js';
import {
  decodeTvf,
  encodeError,
  encodeTvf,
  FROM_WORKER,
  FROM_WORKER_ARITY,
  Outbox,
  requestError,
  TO_WORKER,
  TO_WORKER_ARITY,
  type AdaptorSource,
  type Batch,
  type WireError,
  type WorkerInput,
} from './protocol.js';

/** A `ctx.request` of the adaptor waiting for its answer from the main thread. */
interface Asked {
  resolve(reply: Tvf): void;
  reject(error: Error): void;
  service: string;
}

/** The adaptor `source` names, imported and built. Throws a readable error when it names nothing usable. */
async function buildAdaptor(source: AdaptorSource, name: string, logger: Logger): Promise<Adaptor> {
  // A plugin's `import ... from 'prosa'` is this prosa, as on the main thread.
  installReloadHook();
  const mod = (await import(source.module)) as Record<string, unknown>;
  if ('export' in source) {
    const value = mod[source.export];
    const adaptor: unknown = typeof value === 'function' ? await (value as (options: unknown) => unknown)(source.options) : value;
    if (typeof (adaptor as Adaptor | undefined)?.processRequest !== 'function') {
      throw new TypeError(`export '${source.export}' of ${source.module} is not an adaptor (an object with processRequest, or a function returning one), got ${messageOf(value)}`);
    }
    return adaptor as Adaptor;
  }
  const list: unknown = mod['kinds'] ?? mod['default'];
  const factory = Array.isArray(list)
    ? (list as unknown[]).find((item): item is ProcessorFactory => (item as ProcessorFactory | undefined)?.kind === source.kind)
    : undefined;
  if (factory === undefined) throw new TypeError(`${source.module} exports no factory of kind '${source.kind}' in its kinds`);
  return factory.create(source.settings, { name, instance: source.instance, logger }).adaptor;
}

/** Serves one processor's adaptor in this thread, over `port`. */
class WorkerSide {
  private readonly outbox: Outbox;
  private readonly input: WorkerInput;
  private readonly logger: Logger;
  private readonly controller = new AbortController();
  private readonly ctx: ProcessorContext;
  private readonly asked = new Map<number, Asked>();
  private nextAsk = 1;
  private adaptor: Adaptor | undefined;

  constructor(port: MessagePort, input: WorkerInput) {
    this.outbox = new Outbox(port, FROM_WORKER_ARITY);
    this.input = input;
    // Every line goes to the processor's logger on the main thread, which masks and writes it.
    const lines = new Writable({
      write: (chunk: Buffer | string, _encoding, done) => {
        this.outbox.push(FROM_WORKER.log, String(chunk));
        done();
      },
    });
    this.logger = pino({ level: input.level, base: { worker: input.index }, timestamp: false }, lines);
    this.ctx = {
      name: input.name,
      logger: this.logger,
      signal: this.controller.signal,
      request: (service: string, payload: Tvf, options?: RequestOptions) => this.request(service, payload, options),
      fail: (error: unknown) => this.crash(error),
      // No tracing on a worker (spans are made on the main thread's bus only), and no
      // request-context headers are read here to count.
      tracing: undefined,
      contextIgnored: () => undefined,
    };
  }

  /** Builds the adaptor, runs its `init`, and tells the main thread (`ready` or `initFailed`). */
  async start(): Promise<void> {
    try {
      const adaptor = await buildAdaptor(this.input.source, this.input.name, this.logger);
      await adaptor.init?.(this.ctx);
      this.adaptor = adaptor;
      this.outbox.push(FROM_WORKER.ready);
    } catch (error) {
      this.outbox.push(FROM_WORKER.initFailed, encodeError(error));
    }
  }

  /**
   * A batch of the main thread (trusted: only the processor's side posts to this port).
   * Never throws.
   */
  readonly receive = (batch: Batch): void => {
    for (let i = 0; i < batch.length; i += 1 + TO_WORKER_ARITY[batch[i] as number]!) {
      switch (batch[i]) {
        case TO_WORKER.request:
          this.serve(
            batch[i + 1] as number,
            batch[i + 2] as string,
            batch[i + 3] as string,
            batch[i + 4] as number,
            batch[i + 5] as number,
            batch[i + 6] as number,
            batch[i + 7] as number,
            batch[i + 8] as string | undefined,
          );
          break;
        case TO_WORKER.answer:
          this.answered(batch[i + 1] as number, batch[i + 2] as string, undefined);
          break;
        case TO_WORKER.refused:
          this.answered(batch[i + 1] as number, undefined, batch[i + 2] as WireError);
          break;
        case TO_WORKER.end:
          this.controller.abort(new Error('the processor run ended (crash or stop)'));
          break;
        case TO_WORKER.terminate:
          void this.terminate();
          break;
      }
    }
  };

  /** Serves one request (fields as {@link TO_WORKER} lists them): whatever the adaptor does, one `done` or `failed` crosses back. */
  private serve(id: number, service: string, payload: string, rid: number, timeoutMs: number, leftMs: number, ageMs: number, origin: string | undefined): void {
    const now = performance.now();
    const info: RequestInfo = {
      id: rid,
      sentAt: now - ageMs,
      timeoutMs,
      deadline: now + leftMs,
      origin,
      // The request context does not cross to a worker yet: no metadata, no trace, and a
      // nested request sent from here starts afresh (docs/tracing.md).
      meta: undefined,
      trace: undefined,
      request: this.ctx.request, // made once: the same for every request
    };
    let result: unknown;
    try {
      result = this.adaptor!.processRequest(service, decodeTvf(payload), this.ctx, info);
    } catch (error) {
      this.outbox.push(FROM_WORKER.failed, id, encodeError(error));
      return;
    }
    if (isTvf(result)) {
      this.replied(id, result); // a synchronous reply: no promise, no extra turn
      return;
    }
    // `new Promise` adopts a value or a thenable safely (a hostile `then` is a rejection).
    new Promise<unknown>((resolve) => resolve(result)).then(
      (reply) => {
        if (!isTvf(reply)) {
          const what = typeof reply === 'string' ? 'a string' : messageOf(reply);
          this.outbox.push(FROM_WORKER.failed, id, { message: `processRequest returned ${what}, not a Tvf`, recoverable: true });
          return;
        }
        this.replied(id, reply);
      },
      (error: unknown) => this.outbox.push(FROM_WORKER.failed, id, encodeError(error)),
    );
  }

  /** Posts a record reply, or the error of one that cannot be written. */
  private replied(id: number, reply: Tvf): void {
    let text: string;
    try {
      text = encodeTvf(reply);
    } catch (error) {
      this.outbox.push(FROM_WORKER.failed, id, { message: `the reply cannot be written: ${messageOf(error)}`, recoverable: true });
      return;
    }
    this.outbox.push(FROM_WORKER.done, id, text);
  }

  /** The adaptor's `ctx.request`: crosses to the processor on the main thread. Never throws. */
  private request(service: string, payload: Tvf, options: RequestOptions | undefined): Promise<Tvf> {
    let text: string;
    let timeoutMs: number | undefined;
    try {
      if (typeof service !== 'string') throw new TypeError(`the service must be a string, got ${messageOf(service)}`);
      if (!isTvf(payload)) throw new TypeError(`the payload must be a Tvf record, got ${messageOf(payload)}`);
      text = encodeTvf(payload);
      timeoutMs = options?.timeoutMs;
    } catch (error) {
      return Promise.reject(requestError({ message: messageOf(error), recoverable: false, bus: true }, String(service), undefined));
    }
    const id = this.nextAsk++;
    return new Promise<Tvf>((resolve, reject) => {
      this.asked.set(id, { resolve, reject, service });
      this.outbox.push(FROM_WORKER.ask, id, service, text, timeoutMs);
    });
  }

  /** The outcome of the adaptor's `ctx.request` of `id`: the reply's text, or the error it was refused with. */
  private answered(id: number, payload: string | undefined, error: WireError | undefined): void {
    const asked = this.asked.get(id);
    if (asked === undefined) return;
    this.asked.delete(id);
    if (payload === undefined) {
      asked.reject(requestError(error!, asked.service, undefined));
      return;
    }
    try {
      asked.resolve(decodeTvf(payload));
    } catch (error) {
      asked.reject(new ServiceError('protocol', asked.service, undefined, `the reply cannot be read: ${messageOf(error)}`));
    }
  }

  /** Calls the adaptor's `terminate` (its errors are logged), then says `terminated`. */
  private async terminate(): Promise<void> {
    this.controller.abort(new Error('the processor run ended (crash or stop)'));
    try {
      await this.adaptor?.terminate?.(this.ctx);
    } catch (error) {
      this.logger.warn({ err: { message: messageOf(error) } }, `adaptor terminate failed: ${messageOf(error)}`);
    }
    this.outbox.push(FROM_WORKER.terminated);
  }

  /** Posts a crash at once, after what was queued before it. */
  crash(error: unknown): void {
    this.outbox.push(FROM_WORKER.crash, encodeError(error));
    this.outbox.flush();
  }
}

const port = parentPort;
if (port !== null) {
  const side = new WorkerSide(port, workerData as WorkerInput);
  // An error nothing caught is a crash of the processor, as `ctx.fail` is.
  process.on('uncaughtException', (error) => side.crash(error));
  process.on('unhandledRejection', (error) => side.crash(error));
  port.on('message', side.receive);
  void side.start();
}
