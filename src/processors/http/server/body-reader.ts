/**
 * Reading a request body, bounded: past `maxBytes` reading stops at once, so an
 * oversized body costs no more memory than the limit.
 */
import type { IncomingMessage } from 'node:http';

/** The body was larger than allowed. */
export const TOO_LARGE: unique symbol = Symbol('body too large');
/** The client went away (or the socket failed) before the body ended. */
export const ABORTED: unique symbol = Symbol('body aborted');

/** How reading a body ended. */
export type BodyOutcome = Buffer | typeof TOO_LARGE | typeof ABORTED;

const EMPTY = Buffer.alloc(0);

/**
 * True when the request declares a body (`Content-Length` above 0, or any
 * `Transfer-Encoding`). An answer sent before such a body is read should close the
 * connection, or node would read and drop the rest of it.
 */
export function declaresBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** The state of one body being read. */
class BodyCollector {
  private readonly req: IncomingMessage;
  private readonly maxBytes: number;
  private readonly done: (outcome: BodyOutcome) => void;
  private first: Buffer | undefined;
  private chunks: Buffer[] | undefined;
  private size = 0;
  private finished = false;

  constructor(req: IncomingMessage, maxBytes: number, done: (outcome: BodyOutcome) => void) {
    this.req = req;
    this.maxBytes = maxBytes;
    this.done = done;
  }

  data(chunk: Buffer): void {
    if (this.finished) return;
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.req.pause();
      this.finish(TOO_LARGE);
      return;
    }
    // Most bodies come in one chunk: keep it as is, concatenate only when a second comes.
    if (this.first === undefined) this.first = chunk;
    else (this.chunks ??= [this.first]).push(chunk);
  }

  end(): void {
    this.finish(this.chunks !== undefined ? Buffer.concat(this.chunks, this.size) : (this.first ?? EMPTY));
  }

  /** 'close' comes after 'end' too; only a close before the end is an abort. */
  close(): void {
    this.finish(ABORTED);
  }

  private finish(outcome: BodyOutcome): void {
    if (this.finished) return;
    this.finished = true;
    this.first = this.chunks = undefined;
    this.done(outcome);
  }
}

/**
 * Reads `req`'s body and calls `done` exactly once: with the bytes, with
 * {@link TOO_LARGE} as soon as more than `maxBytes` arrived (or `Content-Length` says
 * so up front: then nothing is read), or with {@link ABORTED} when the request ends
 * early (an aborted request emits 'close' without 'end'; it emits 'error' only to a
 * listener, and none is added).
 */
export function readBody(req: IncomingMessage, maxBytes: number, done: (outcome: BodyOutcome) => void): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    done(TOO_LARGE);
    return;
  }
  (req as CollectedRequest)[COLLECTOR] = new BodyCollector(req, maxBytes, done);
  // Listeners stay until the request is dropped: removing them costs more than they do.
  // The same three functions serve every request (an emitter calls them with itself as
  // `this`), so reading a body makes no closure.
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('close', onClose);
}

/** Where a request being read keeps its collector. */
const COLLECTOR: unique symbol = Symbol('body collector');
type CollectedRequest = IncomingMessage & { [COLLECTOR]: BodyCollector };

function onData(this: CollectedRequest, chunk: Buffer): void {
  this[COLLECTOR].data(chunk);
}

function onEnd(this: CollectedRequest): void {
  this[COLLECTOR].end();
}

function onClose(this: CollectedRequest): void {
  this[COLLECTOR].close();
}
