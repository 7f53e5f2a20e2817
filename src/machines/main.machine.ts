/**
 * The Main lifecycle:
 *
 * ```
 * active (starting -> running) --main.stopRequested--> stopping -> stopped
 * ```
 *
 * Main keeps the bus's lifecycle and nothing else: it starts the processors, counts the
 * ones whose first start has not settled (`starting` lasts until none is left) and the
 * live ones (`stopping` lasts until none is left, or the stop timeout), and coordinates
 * the shutdown. It does not write the service table: processors and transports write it
 * through its one writer (`src/actors/service-table.ts`), and Main never relays their
 * changes. It sees lifecycle events only, never a transaction. The machine does no I/O
 * itself: its actions call the {@link MainPorts} given in its input.
 */
import { assign, setup, type StateValue } from 'xstate';

/** Lifecycle state names of Main (the leaf states of the machine). */
export type MainState = 'starting' | 'running' | 'stopping' | 'stopped';

/** The Main state a snapshot's value names: its leaf (`running`, not `{ active: 'running' }`). */
export function mainState(value: StateValue): MainState {
  return (typeof value === 'string' ? value : (value as { active: MainState }).active) as MainState;
}

/** What the Main machine asks of the running system; synchronous, never throws. */
export interface MainPorts {
  /** Sends `proc.startRequested` to every processor added before Main started. */
  startProcessors(): void;
  /** Sends `proc.startRequested` to one processor added after Main started. */
  startProcessor(processor: string): void;
  /** Sends `proc.stopRequested` to every processor still alive. */
  stopProcessors(reason: string): void;
  /** Releases what the bus holds once everything stopped (timers; processors past the stop timeout). */
  release(): void;
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
  /** Processors whose first start has not settled yet (serving, crashed, or ended). */
  pendingStart: number;
  /** Why the bus stops, once it does. */
  stopReason: string | undefined;
}

/** Events the Main machine handles (see the machines' index for how they are named). */
export type MainEvent =
  /** `prosa.stop()` was called. */
  | { type: 'main.stopRequested'; reason: string }
  /** A processor was added after Main started. */
  | { type: 'proc.added'; processor: string }
  /** A processor's first start settled: it serves, crashed (and may restart), or ended. */
  | { type: 'proc.settled'; processor: string }
  /** A processor reached a final state (stopped or failed). */
  | { type: 'proc.ended'; processor: string };

/** The Main lifecycle machine. */
export const mainMachine = setup({
  types: {
    context: {} as MainMachineContext,
    events: {} as MainEvent,
    input: {} as MainMachineInput,
  },
  actions: {
    startProcessors: ({ context }) => context.ports.startProcessors(),
    startProcessor: ({ context }, params: { processor: string }) => context.ports.startProcessor(params.processor),
    stopProcessors: ({ context }, params: { reason: string }) => context.ports.stopProcessors(params.reason),
    release: ({ context }) => context.ports.release(),
    countAdded: assign({
      live: ({ context }) => context.live + 1,
      pendingStart: ({ context }) => context.pendingStart + 1,
    }),
    countSettled: assign({ pendingStart: ({ context }) => Math.max(0, context.pendingStart - 1) }),
    countEnded: assign({ live: ({ context }) => Math.max(0, context.live - 1) }),
    recordStopReason: assign((_, params: { reason: string }) => ({ stopReason: params.reason })),
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
  initial: 'active',
  on: {
    'proc.ended': { actions: 'countEnded' },
  },
  states: {
    active: {
      description: 'The bus takes processors and requests; a stop may be asked in any of these states.',
      initial: 'starting',
      on: {
        'proc.added': {
          actions: ['countAdded', { type: 'startProcessor', params: ({ event }) => ({ processor: event.processor }) }],
        },
        'proc.settled': { actions: 'countSettled' },
        'main.stopRequested': {
          target: 'stopping',
          actions: { type: 'recordStopReason', params: ({ event }) => ({ reason: event.reason }) },
        },
      },
      states: {
        starting: {
          description: 'Processors initialize; Main waits until the first start of each has settled.',
          entry: 'startProcessors',
          always: { guard: 'allStarted', target: 'running' },
        },
        running: {
          description: 'The bus serves; processors come and go.',
        },
      },
    },
    stopping: {
      description: 'No new request is accepted; processors drain and terminate.',
      entry: { type: 'stopProcessors', params: ({ context }) => ({ reason: context.stopReason ?? 'stop' }) },
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
