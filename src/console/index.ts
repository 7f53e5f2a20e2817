/**
 * The live console and control API of a running instance: {@link startConsole} serves
 * its page and `/api/v1` (see docs/console.md).
 */
export { startConsole, consoleSettings, ConsoleServer, DEFAULT_PAGE_DIR, TOKEN_COOKIE, type ConsoleOptions } from './server.js';
export { ConsoleError, ApiError, type ConsoleErrorKind, type ApiErrorKind } from './errors.js';
export type {
  ConsoleEvent,
  ConsoleMessages,
  ConsoleSnapshot,
  InstanceView,
  ProcessorDetail,
  ProcessorTransition,
  ProcessorView,
  ServicesView,
  ServiceView,
} from './model.js';
export type { FiguresTick, ServiceTick, IntervalLatency } from './figures.js';
export type { MachineGraph, MachineNode, MachineEdge } from './machines.js';
export type { CallReply } from './call.js';
