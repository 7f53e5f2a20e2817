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

/**
 * Reads `req`'s body and calls `done` exactly once: with the bytes, with
 * {@link TOO_LARGE} as soon as more than `maxBytes` arrived (or `Content-Length` says
 * so up front: then nothing is read), or with {@link ABORTED} when the request ends
 * early.
 */
export function readBody(req: IncomingMessage, maxBytes: number, done: (outcome: BodyOutcome) => void): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    done(TOO_LARGE);
    return;
  }
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let size = 0;
  let finished = false;
  const finish = (outcome: BodyOutcome): void => {
    if (finished) return;
    finished = true;
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onAbort);
    req.off('close', onAbort);
    done(outcome);
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > maxBytes) {
      req.pause();
      finish(TOO_LARGE);
      return;
    }
    // Most bodies come in one chunk: keep it as is, concatenate only when a second comes.
    if (first === undefined) first = chunk;
    else (chunks ??= [first]).push(chunk);
  };
  const onEnd = (): void => finish(chunks !== undefined ? Buffer.concat(chunks, size) : (first ?? EMPTY));
  const onAbort = (): void => finish(ABORTED);
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onAbort);
  req.on('close', onAbort);
}
