/**
 * What crosses between a processor's main-thread side and its worker threads: the
 * messages of both directions, and how a record and an error are written into them.
 *
 * A record crosses in TVF's text form (`SimpleStringTvf.serialize`): a string is what a
 * `MessagePort` copies fastest, and the receiving side reads it back with the same
 * bounded parser as bytes from the network (bench/threads.bench.ts measures it against a
 * bare port echo). Messages cross in batches ({@link Outbox}): all those posted in one
 * turn go as one array, so a thousand requests in flight cost a few port messages, not a
 * thousand. An error crosses as plain fields, never as the object itself: a
 * `ServiceError` keeps its kind and detail, a crash keeps whether it may restart.
 */
import { SimpleStringTvf } from '../tvf/simple-string-tvf.js';
import type { Tvf } from '../tvf/tvf.js';
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

/** Messages from the main thread to a worker. */
export type ToWorker =
  /** Serve `service`: reply with `done` or `failed` of the same `id`. */
  | {
      readonly t: 'request';
      readonly id: number;
      readonly service: string;
      readonly payload: string;
      /** The bus's id of the request. */
      readonly rid: number;
      readonly timeoutMs: number;
      /** Milliseconds left before the request's deadline, read just before it was posted. */
      readonly leftMs: number;
      /** Milliseconds since the request was sent. */
      readonly ageMs: number;
      readonly origin: string | undefined;
    }
  /** The answer to the worker's `ctx.request` of the same `id`. */
  | { readonly t: 'answer'; readonly id: number; readonly payload: string }
  | { readonly t: 'refused'; readonly id: number; readonly error: WireError }
  /** The run ended: abort the adaptor's signal. */
  | { readonly t: 'end' }
  /** Call the adaptor's `terminate`, then reply `terminated`. */
  | { readonly t: 'terminate' };

/** Messages from a worker to the main thread. */
export type FromWorker =
  /** The adaptor is built and its `init` finished. */
  | { readonly t: 'ready' }
  /** Building the adaptor or its `init` failed. */
  | { readonly t: 'initFailed'; readonly error: WireError }
  | { readonly t: 'done'; readonly id: number; readonly payload: string }
  | { readonly t: 'failed'; readonly id: number; readonly error: WireError }
  /** The adaptor's `ctx.request`: answer with `answer` or `refused` of the same `id`. */
  | { readonly t: 'ask'; readonly id: number; readonly service: string; readonly payload: string; readonly timeoutMs: number | undefined }
  /** The adaptor's `ctx.fail`, or an error nothing caught: a crash of the processor. */
  | { readonly t: 'crash'; readonly error: WireError }
  /** One line of the adaptor's `ctx.logger` (pino's JSON). */
  | { readonly t: 'log'; readonly line: string }
  | { readonly t: 'terminated' };

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

/**
 * The messages one side posts, sent as one array per turn (flushed in a microtask): a
 * port message costs far more than the copy of one more element. Order is kept.
 */
export class Outbox<M> {
  private queue: M[] = [];
  private readonly port: { postMessage(value: unknown): void };

  constructor(port: { postMessage(value: unknown): void }) {
    this.port = port;
  }

  /** Queues `message`; the batch leaves at the end of this turn. */
  push(message: M): void {
    if (this.queue.push(message) === 1) queueMicrotask(this.flush);
  }

  /** Posts what is queued now (what a thread about to die still has to say). */
  readonly flush = (): void => {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.port.postMessage(batch);
  };
}
