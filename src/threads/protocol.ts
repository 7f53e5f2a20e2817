/**
 * What crosses between a processor's main-thread side and its worker threads: the
 * messages of both directions, and how a record and an error are written into them.
 *
 * A record crosses in TVF's text form (`SimpleStringTvf.serialize`): a string is what a
 * `MessagePort` copies fastest, and the receiving side reads it back with the same
 * bounded parser as bytes from the network (bench/threads.bench.ts measures it against a
 * bare port echo). Messages cross in batches ({@link Outbox}): all those posted in one
 * turn go as one flat array of codes and fields, so a thousand requests in flight cost a
 * few port messages, not a thousand, and no object per message. An error crosses as
 * plain fields, never as the object itself: a `ServiceError` keeps its kind and detail,
 * a crash keeps whether it may restart.
 */
import { SimpleStringTvf } from '../tvf/simple-string-tvf.js';
import type { Tvf } from '../tvf/tvf.js';
import { numberOrType } from '../tvf/error.js';
import { messageOf } from '../tvf/unknown-value.js';
import { BusError, isServiceErrorKind, ProcessorError, ServiceError, type ServiceErrorKind } from '../actors/errors.js';

/** Where a worker's adaptor comes from: a module's named export, or a kind's factory. */
export type AdaptorSource =
  | {
      /** The file URL (`file:///...`) of the module. */
      readonly module: string;
      /**
       * The export that is the adaptor: an `Adaptor` object, or a function given `options`
       * that returns one (called once per worker).
       */
      readonly export: string;
      /** Handed to an exported function; structured-cloned into each worker. */
      readonly options?: unknown;
    }
  | {
      /** The file URL of a module whose `kinds` export (or default export) holds the factory. */
      readonly module: string;
      /** The factory's kind. */
      readonly kind: string;
      /** The kind's validated settings, structured-cloned into each worker. */
      readonly settings: unknown;
      /** The instance's name, for the factory's context. */
      readonly instance: string;
    };

/** What a worker is started with (its `workerData`). */
export interface WorkerInput {
  readonly source: AdaptorSource;
  /** The processor's name (the adaptor's `ctx.name`). */
  readonly name: string;
  /** Index of this worker among its processor's, from 0. */
  readonly index: number;
  /** Level of the processor's logger: the worker's logger drops what it would drop. */
  readonly level: string;
}

/** An error, as it crosses. */
export interface WireError {
  /** Its message (read safely on the side that threw). */
  readonly message: string;
  /** A `ServiceError`'s kind (its detail is the message); absent for any other error. */
  readonly kind?: ServiceErrorKind;
  /** False when the error says its processor must not restart (a `ProcessorError` or `BusError` saying so). */
  readonly recoverable: boolean;
  /** A `ProcessorError`'s extra wait before the restart. */
  readonly retryAfterMs?: number;
  /** True for a `BusError` (a wrong call), so the other side rejects with one. */
  readonly bus?: boolean;
}

/**
 * Codes of the messages from the main thread to a worker. In a batch each message is its
 * code followed by its fields, as many as {@link TO_WORKER_ARITY} says, in this order:
 * - `request` id, service, payload, rid (the bus's id of the request), timeoutMs, leftMs
 *   (milliseconds left before its deadline, read just before it was queued), ageMs
 *   (milliseconds since it was sent), origin (a string or `undefined`): serve the
 *   service and answer `done` or `failed` of the same id;
 * - `answer` id, payload, or `refused` id, error: the outcome of the worker's `ask` of that id;
 * - `end`: the run ended, abort the adaptor's signal;
 * - `terminate`: call the adaptor's `terminate`, then answer `terminated`.
 */
export const TO_WORKER = { request: 1, answer: 2, refused: 3, end: 4, terminate: 5 } as const;

/** How many fields follow each code of {@link TO_WORKER}. */
export const TO_WORKER_ARITY: readonly number[] = [-1, 8, 2, 2, 0, 0];

/**
 * Codes of the messages from a worker to the main thread, laid out as {@link TO_WORKER}'s:
 * - `ready`: the adaptor is built and its `init` finished; `initFailed` error: it failed;
 * - `done` id, payload, or `failed` id, error: the outcome of the `request` of that id;
 * - `ask` id, service, payload, timeoutMs (a number or `undefined`): the adaptor's
 *   `ctx.request`, to answer with `answer` or `refused` of the same id;
 * - `crash` error: the adaptor's `ctx.fail`, or an error nothing caught;
 * - `log` line: one line of the adaptor's `ctx.logger` (pino's JSON);
 * - `terminated`: the adaptor's `terminate` returned.
 *
 * The main thread reads these as untrusted (any code in a worker can post to its port):
 * see `thread-adaptor.ts`.
 */
export const FROM_WORKER = { ready: 1, initFailed: 2, done: 3, failed: 4, ask: 5, crash: 6, log: 7, terminated: 8 } as const;

/** How many fields follow each code of {@link FROM_WORKER}. */
export const FROM_WORKER_ARITY: readonly number[] = [-1, 0, 1, 2, 2, 4, 1, 1, 0];

/** A batch as it crosses: codes and fields of its messages, one after another (see {@link TO_WORKER}). */
export type Batch = unknown[];

/** What the main thread does with each message of a worker, its fields checked ({@link readWorkerBatch}). */
export interface WorkerMessages {
  /** `done`: the reply's text to the request of `id`. */
  done(id: number, text: string): void;
  /** `failed`: the error of the request of `id`. */
  failed(id: number, error: WireError): void;
  /** `ask`: the adaptor's `ctx.request` of `id`. */
  ask(id: number, service: string, text: string, timeoutMs: number | undefined): void;
  /** `log`: one line of the adaptor's logger. */
  log(line: string): void;
  /** `ready`: the adaptor is built and its `init` finished. */
  ready(): void;
  /** `initFailed`: building the adaptor or its `init` failed. */
  initFailed(error: WireError): void;
  /** `crash`: the adaptor's `ctx.fail`, or an error nothing caught. */
  crash(error: WireError): void;
  /** `terminated`: the adaptor's `terminate` returned. */
  terminated(): void;
}

/**
 * Reads a batch a worker posted, calling `to` for each message in order. What a worker
 * posts is untrusted (any code in a worker can post to its port), so every code and field
 * is checked before it is used; structured cloning leaves plain data only, so no getter
 * or Proxy runs here. What is wrong is named by position and type, never by the value
 * itself (it may be a record's text, secrets included). Returns what is wrong at the first message that is not one of ours
 * (the messages before it were delivered, the rest are not), else `undefined`. Never
 * throws, unless `to` does.
 */
export function readWorkerBatch(batch: unknown, to: WorkerMessages): string | undefined {
  if (!Array.isArray(batch)) return `a batch that is not an array: ${numberOrType(batch)}`;
  const length = batch.length;
  for (let i = 0; i < length; ) {
    const code: unknown = batch[i];
    const arity = typeof code === 'number' ? FROM_WORKER_ARITY[code] : undefined;
    if (arity === undefined || arity < 0) return `an unknown message code ${numberOrType(code)} at ${i}`;
    if (i + arity >= length) return `message code ${code as number} at ${i} is cut short`;
    const problem = readWorkerMessage(to, code as number, batch[i + 1], batch[i + 2], batch[i + 3], batch[i + 4]);
    if (problem !== undefined) return `message code ${code as number} at ${i}: ${problem}`;
    i += 1 + arity;
  }
  return undefined;
}

/** One message of {@link readWorkerBatch}, by its code and fields: what is wrong with it, or `undefined` once delivered. */
function readWorkerMessage(to: WorkerMessages, code: number, a: unknown, b: unknown, c: unknown, d: unknown): string | undefined {
  switch (code) {
    case FROM_WORKER.done:
      if (typeof a !== 'number') return `the request id is ${numberOrType(a)}`;
      if (typeof b !== 'string') return `the reply is ${numberOrType(b)}, not a record's text`;
      to.done(a, b);
      return undefined;
    case FROM_WORKER.failed: {
      if (typeof a !== 'number') return `the request id is ${numberOrType(a)}`;
      const error = readWireError(b);
      if (error === undefined) return `the error is ${numberOrType(b)}`;
      to.failed(a, error);
      return undefined;
    }
    case FROM_WORKER.ask:
      if (typeof a !== 'number') return `the ask id is ${numberOrType(a)}`;
      if (typeof b !== 'string') return `the service is ${numberOrType(b)}`;
      if (typeof c !== 'string') return `the payload is ${numberOrType(c)}, not a record's text`;
      if (d !== undefined && typeof d !== 'number') return `the timeout is ${numberOrType(d)}`;
      to.ask(a, b, c, d);
      return undefined;
    case FROM_WORKER.log:
      if (typeof a !== 'string') return `the log line is ${numberOrType(a)}`;
      to.log(a);
      return undefined;
    case FROM_WORKER.ready:
      to.ready();
      return undefined;
    case FROM_WORKER.initFailed:
    case FROM_WORKER.crash: {
      const error = readWireError(a);
      if (error === undefined) return `the error is ${numberOrType(a)}`;
      if (code === FROM_WORKER.crash) to.crash(error);
      else to.initFailed(error);
      return undefined;
    }
    default: // FROM_WORKER.terminated: the arity table knows no other code
      to.terminated();
      return undefined;
  }
}

/** `tvf` in the form it crosses. Throws a `TvfError` for a record whose text cannot be written. */
export function encodeTvf(tvf: Tvf): string {
  return SimpleStringTvf.own(tvf).serialize();
}

/** A record read back from its crossing form. Throws a `TvfError` for text that is not one. */
export function decodeTvf(text: string): SimpleStringTvf {
  return SimpleStringTvf.deserialize(text);
}

/** `error` as it crosses, read without trusting it. Never throws. */
export function encodeError(error: unknown): WireError {
  const message = messageOf(error);
  try {
    if (error instanceof ServiceError && isServiceErrorKind(error.kind) && typeof error.detail === 'string') {
      return { message: error.detail, kind: error.kind, recoverable: error.kind !== 'protocol' };
    }
    if (error instanceof BusError) return { message, recoverable: false, bus: true };
    if (error instanceof ProcessorError) {
      const retryAfterMs = error.retryAfterMs;
      return {
        message,
        recoverable: error.recoverable !== false,
        ...(typeof retryAfterMs === 'number' && retryAfterMs > 0 && Number.isFinite(retryAfterMs) ? { retryAfterMs } : {}),
      };
    }
  } catch {
    // a Proxy whose traps throw, a getter that throws: a plain error with its safe message
  }
  return { message, recoverable: true };
}

/**
 * `value` as a {@link WireError} when it has that shape (what a worker posted is
 * untrusted), else `undefined`. Never throws: a batch holds plain data only.
 */
export function readWireError(value: unknown): WireError | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { message, kind, recoverable, retryAfterMs, bus } = value as Record<string, unknown>;
  if (typeof message !== 'string' || typeof recoverable !== 'boolean') return undefined;
  if (kind !== undefined && !isServiceErrorKind(kind)) return undefined;
  if (retryAfterMs !== undefined && !(typeof retryAfterMs === 'number' && retryAfterMs > 0 && Number.isFinite(retryAfterMs))) return undefined;
  if (bus !== undefined && typeof bus !== 'boolean') return undefined;
  return {
    message,
    recoverable,
    ...(kind === undefined ? {} : { kind }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(bus === undefined ? {} : { bus }),
  };
}

/**
 * The error a request ends in, from what crossed: a `ServiceError` of the kind that
 * crossed (the intake renames it to the request's service and processor), a `BusError`
 * for a wrong call, else an `Error` with the message (a `protocol` error to the intake).
 */
export function requestError(error: WireError, service: string, processor: string | undefined): Error {
  if (error.kind !== undefined && isServiceErrorKind(error.kind)) return new ServiceError(error.kind, service, processor, error.message);
  if (error.bus === true) return new BusError('InvalidOption', error.message);
  return new Error(error.message);
}

/** The crash a worker's error is, from what crossed: recoverable unless it said otherwise. */
export function crashError(error: WireError, what: string): ProcessorError {
  return new ProcessorError(`${what}: ${error.message}`, {
    recoverable: error.recoverable,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
  });
}

/** Messages queued past this many go at once, the rest at the end of the turn. */
export const OUTBOX_CHUNK = 128;

/**
 * The messages one side posts, sent as one flat array per turn (flushed in a microtask):
 * a port message costs far more than the copy of one more element, and a flat array of
 * primitives clones several times faster than one object per message (no keys to copy).
 * A batch goes at once when it reaches {@link OUTBOX_CHUNK} messages, so the other
 * thread starts on the first while this one queues the rest. Order is kept.
 */
export class Outbox {
  private queue: Batch = [];
  private count = 0;
  private scheduled = false;
  private readonly port: { postMessage(value: unknown): void };
  private readonly arity: readonly number[];

  /** `arity` is {@link TO_WORKER_ARITY} or {@link FROM_WORKER_ARITY}: how many fields each code takes. */
  constructor(port: { postMessage(value: unknown): void }, arity: readonly number[]) {
    this.port = port;
    this.arity = arity;
  }

  /**
   * Queues the message of `code` with its fields (those past the code's arity are
   * ignored); the batch leaves at the end of this turn, or now when it is full.
   */
  push(code: number, a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown, g?: unknown, h?: unknown): void {
    const queue = this.queue;
    queue.push(code);
    // Fixed arguments, not a rest array: no allocation per message.
    switch (this.arity[code]) {
      case 8:
        queue.push(a, b, c, d, e, f, g, h);
        break;
      case 4:
        queue.push(a, b, c, d);
        break;
      case 2:
        queue.push(a, b);
        break;
      case 1:
        queue.push(a);
        break;
      default:
        break;
    }
    if (++this.count >= OUTBOX_CHUNK) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushScheduled);
    }
  }

  /** Posts what is queued now (what a thread about to die still has to say). */
  readonly flush = (): void => {
    if (this.count === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.count = 0;
    this.port.postMessage(batch);
  };

  private readonly flushScheduled = (): void => {
    this.scheduled = false;
    this.flush();
  };
}
