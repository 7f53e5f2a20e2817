/**
 * Processors on worker threads: `threadAdaptor` runs a processor's adaptor on its own
 * threads (a settings file says `threads: N` instead). See docs/threads.md.
 */
export { threadAdaptor, DEFAULT_WORKER_TERMINATE_MS, type ThreadAdaptorOptions } from './thread-adaptor.js';
export type { AdaptorSource } from './protocol.js';
