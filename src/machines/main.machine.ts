/**
 * The Main lifecycle: `starting -> running -> stopping -> stopped`.
 *
 * Main owns the service table (through {@link MainPorts}), starts the processors, hears
 * their registrations and their ends, and coordinates shutdown. It sees lifecycle
 * events only, never a transaction. The machine does no I/O itself.
 */
import { assign, setup } from 'xstate';

/** Lifecycle state names of Main. */
export type MainState = 'starting' | 'running' | 'stopping' | 'stopped';

/** What the Main machine asks of the running system; synchronous, never throws. */
export interface MainPorts {
  /** Sends `proc.start` to every processor added before Main started. */
  startProcessors(): void;
  /** Sends `proc.start` to one processor added while running. */
  startProcessor(processor: string): void;
  /** Adds the services of a processor to the table and acknowledges with `proc.registered`. */
  registerServices(processor: string): void;
  /** Removes the services of a processor from the table. */
  unregisterServices(processor: string): void;
  /** Sends `prosa.shutdown` to every processor still alive. */
  shutdownProcessors(reason: string): void;
  /** Releases what the bus holds once everything stopped (timers). */
  release(): void;
  /**
   * Applies the remote provider changes a transport queued (adds and removals, in
   * order) to the service table. Optional: a bus without transports has none.
   */
  applyRemoteChanges?(): void;
}

/** Input of the Main machine. */
export interface MainMachineInput {
  /** Instance name. */
  name: string;
  /** Longest wait for processors to stop once `stopping` began; past it Main stops anyway. */
  stopTimeoutMs: number;
  /** Processors added before Main started. */
  processors: number;
  /** The running system. */
  ports: MainPorts;
}

/** Context of the Main machine. */
export interface MainMachineContext extends MainMachineInput {
  /** Processors not yet in a final state. */
  live: number;
  /** Processors whose first start has not yet settled (serving, crashed, or ended), those added while starting included. */
  pendingStart: number;
  /** Why the bus stops, once it does. */
  stopReason: string | undefined;
}

/** Events the Main machine handles. */
export type MainEvent =
  | { type: 'main.stop'; reason: string }
  | { type: 'proc.added'; processor: string }
  | { type: 'proc.settled'; processor: string }
  | { type: 'proc.ended'; processor: string }
  | { type: 'prosa.register'; processor: string }
  | { type: 'prosa.unregister'; processor: string }
  | { type: 'remote.changed' };

function processorOf(event: MainEvent): string {
  return 'processor' in event ? event.processor : '';
}

/** The Main lifecycle machine. */
export const mainMachine = setup({
  types: {
    context: {} as MainMachineContext,
    events: {} as MainEvent,
    input: {} as MainMachineInput,
  },
  actions: {
    startProcessors: ({ context }) => context.ports.startProcessors(),
    startProcessor: ({ context, event }) => context.ports.startProcessor(processorOf(event)),
    registerServices: ({ context, event }) => context.ports.registerServices(processorOf(event)),
    unregisterServices: ({ context, event }) => context.ports.unregisterServices(processorOf(event)),
    shutdownProcessors: ({ context }) => context.ports.shutdownProcessors(context.stopReason ?? 'stop'),
    release: ({ context }) => context.ports.release(),
    applyRemoteChanges: ({ context }) => context.ports.applyRemoteChanges?.(),
    countAdded: assign({
      live: ({ context }) => context.live + 1,
      pendingStart: ({ context }) => context.pendingStart + 1,
    }),
    countEnded: assign({ live: ({ context }) => context.live - 1 }),
    countSettled: assign({ pendingStart: ({ context }) => Math.max(0, context.pendingStart - 1) }),
    recordStopReason: assign({
      stopReason: ({ event }) => (event.type === 'main.stop' ? event.reason : 'stop'),
    }),
  },
  guards: {
    allStarted: ({ context }) => context.pendingStart === 0,
    noneLive: ({ context }) => context.live === 0,
  },
  delays: {
    stopTimeout: ({ context }) => context.stopTimeoutMs,
  },
}).createMachine({
  id: 'main',
  context: ({ input }) => ({
    ...input,
    live: input.processors,
    pendingStart: input.processors,
    stopReason: undefined,
  }),
  initial: 'starting',
  on: {
    'prosa.register': { actions: 'registerServices' },
    'prosa.unregister': { actions: 'unregisterServices' },
    'proc.ended': { actions: ['unregisterServices', 'countEnded'] },
    'proc.settled': { actions: 'countSettled' },
    'remote.changed': { actions: 'applyRemoteChanges' },
  },
  states: {
    starting: {
      description: 'Processors initialize; Main waits for each first start to settle.',
      entry: 'startProcessors',
      always: { guard: 'allStarted', target: 'running' },
      on: {
        'proc.added': { actions: ['countAdded', 'startProcessor'] },
        'main.stop': { target: 'stopping', actions: 'recordStopReason' },
      },
    },
    running: {
      description: 'The bus serves; processors come and go.',
      on: {
        'proc.added': { actions: ['countAdded', 'startProcessor'] },
        'main.stop': { target: 'stopping', actions: 'recordStopReason' },
      },
    },
    stopping: {
      description: 'No new request is accepted; processors drain and terminate.',
      entry: 'shutdownProcessors',
      always: { guard: 'noneLive', target: 'stopped' },
      after: {
        stopTimeout: { target: 'stopped' },
      },
    },
    stopped: {
      description: 'Every processor has stopped (or the stop timeout passed).',
      type: 'final',
      entry: 'release',
    },
  },
});
