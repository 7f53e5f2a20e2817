/**
 * The adaptors bench/threads.bench.ts runs, on worker threads (through `threadAdaptor`,
 * which imports this module in each worker) and on the main thread alike.
 */
import type { Adaptor } from '../src/actors/adaptor.js';

/** Replies with the request itself. */
export const echo: Adaptor = { processRequest: (_service, request) => request };

/** Burns field 1 of the request in milliseconds of CPU (a busy loop), then replies with the request. */
export const burn: Adaptor = {
  processRequest: (_service, request) => {
    const until = performance.now() + Number(request.getUnsigned(1));
    while (performance.now() < until) {
      // the CPU-bound work of a kind that computes
    }
    return request;
  },
};
