/**
 * The processor lifecycle:
 *
 * ```
 * created -> initializing -> serving -> draining -> terminating -> stopped
 * active (initializing, serving) --proc.crashed--> crashed --(cleanup)--> restarting --(backoff)--> initializing
 *                                                          \-> stopped (a stop was asked) | failed (fatal, or budget spent)
 * draining --proc.crashed--> terminating (a stop was asked: no restart)
 * ```
 *
 * `active` is the parent of the states in which a run of the adaptor is live; a crash
 * in any of them is one transition, on `active`. There is no `registering` phase: a
 * processor writes its services into the service table itself (the table is the one
 * writer; nothing acknowledges it), on entering `serving`, and takes them out on leaving
 * it, whatever it leaves for: they are in the table exactly while the processor serves.
 *
 * The machine does no I/O itself: its invoked actors and named actions call the
 * {@link ProcessorPorts} given in its input. Per-request traffic never goes through this
 * machine: in `serving` the `mailbox` callback actor receives requests (and table changes,
 * for an adaptor that asked) directly. Invoked actors carry ids (`init`, `mailbox`,
 * `drain`, `terminate`), so their events read `xstate.done.actor.init` in the inspector.
 */
import { assign, fromCallback, fromPromise, setup, type AnyActorRef, type EventObject, type StateValue } from 'xstate';
import { backoffDelay, crashesInWindow, type RestartPolicy } from './restart-policy.js';

/** Every lifecycle state of a processor (the leaf states of the machine), in lifecycle order: listed once. */
export const PROCESSOR_STATES = Object.freeze([
  'created',
  'initializing',
  'serving',
  'draining',
  'terminating',
  'crashed',
  'restarting',
  'stopped',
  'failed',
] as const);

/** Lifecycle state names of a processor: one of {@link PROCESSOR_STATES}. */
export type ProcessorState = (typeof PROCESSOR_STATES)[number];

/** The processor state a snapshot's value names: its leaf (`serving`, not `{ active: 'serving' }`). */
export function processorState(value: StateValue): ProcessorState {
  return (typeof value === 'string' ? value : (value as { active: ProcessorState }).active) as ProcessorState;
}

/** The callback actor that receives requests (and table changes) while a processor serves. */
export interface Mailbox {
  /** The mailbox actor itself: requesters send to it. */
  self: AnyActorRef;
  /** Registers the one handler of the events the mailbox receives. */
  receive(listener: (event: EventObject) => void): void;
}

/** What the machine knows of a crash. */
export interface Crash {
  /**
   * The error as raised by the adaptor or the runtime, made safe to read and log (the
   * value itself when it is a well-formed error, else an Error that describes it).
   */
  error: unknown;
  /** Whether a restart may follow (ProSA's `ProcError::recoverable`). */
  recoverable: boolean;
  /** Extra delay the error asked for before a restart (ProSA's `recovery_duration`). */
  retryAfterMs: number;
  /** When the crash happened, in milliseconds of the runtime's clock (read when the crash was made, never in the machine). */
  at: number;
}

/**
 * What the machine asks of the running system. The synchronous methods must not throw;
 * the promises never reject.
 */
export interface ProcessorPorts {
  /**
   * Starts a new run of the adaptor (a fresh abort signal and context) and calls its
   * `init`. Resolves once `init` is done. Never rejects: a failed `init` is a crash of
   * the run, reported to the machine as `proc.crashed` like any other.
   */
  init(): Promise<void>;
  /** Calls the adaptor's `terminate` (after a stop, and after each crash). Never rejects. */
  terminate(): Promise<void>;
  /** Adds the processor's services to the service table. */
  registerServices(): void;
  /** Stops accepting new requests and removes the processor's services from the table. */
  unregisterServices(): void;
  /**
   * Starts handing the events `mailbox` receives (requests, table changes) to the
   * adaptor, and accepting requests. Returns the function that stops it; requests in
   * flight are not touched.
   */
  openMailbox(mailbox: Mailbox): () => void;
  /**
   * Calls `drained` once no request is in flight (at once if none is). Returns the
   * function that stops watching.
   */
  watchDrain(drained: () => void): () => void;
  /** Ends every in-flight request with an error of the given kind. */
  failInFlight(kind: 'unreachable' | 'shutdown'): void;
  /** Ends the current run of the adaptor (aborts its signal). */
  endRun(): void;
}

/** Input of the processor machine. */
export interface ProcessorMachineInput {
  /** Processor name, unique on its bus. */
  name: string;
  /** Restart policy, already filled with defaults. */
  restart: RestartPolicy;
  /** Longest wait for in-flight requests when stopping. */
  drainGraceMs: number;
  /** Longest wait for the adaptor's `terminate`. */
  terminateTimeoutMs: number;
  /** The running system. */
  ports: ProcessorPorts;
}

/** Context of the processor machine. */
export interface ProcessorMachineContext extends ProcessorMachineInput {
  /** Crashes in a row without a stable stretch of `serving` in between. */
  consecutiveCrashes: number;
  /** Times of the crashes inside the restart window. */
  crashTimes: number[];
  /** The last crash, if any. */
  lastCrash: Crash | undefined;
  /** Backoff before the next restart. */
  restartDelayMs: number;
  /** Set once a stop is asked: no restart after that. */
  stopRequested: boolean;
}

/** Events the processor machine handles (see the machines' index for how they are named). */
export type ProcessorEvent =
  /** Main started the bus, or the processor joined a running bus. */
  | { type: 'proc.startRequested' }
  /** The bus stops, or the processor is being removed. */
  | { type: 'proc.stopRequested'; reason: string }
  /** The current run crashed (a failed `init`, or `ctx.fail`). */
  | { type: 'proc.crashed'; crash: Crash }
  /** No request is in flight any more (sent by the `drain` actor). */
  | { type: 'proc.drained' };

/** Where a crashed processor goes once its adaptor has cleaned up (or timed out doing so). */
const afterCleanup = [
  { guard: 'isStopRequested', target: 'stopped' },
  { guard: 'canRestart', target: 'restarting' },
  { target: 'failed' },
] as const;

/** The processor lifecycle machine. */
export const processorMachine = setup({
  types: {
    context: {} as ProcessorMachineContext,
    events: {} as ProcessorEvent,
    input: {} as ProcessorMachineInput,
  },
  actors: {
    initAdaptor: fromPromise<void, ProcessorPorts>(({ input }) => input.init()),
    terminateAdaptor: fromPromise<void, ProcessorPorts>(({ input }) => input.terminate()),
    mailbox: fromCallback<EventObject, ProcessorPorts>(({ input, self, receive }) => input.openMailbox({ self, receive })),
    drain: fromCallback<EventObject, ProcessorPorts>(({ input, sendBack }) =>
      input.watchDrain(() => sendBack({ type: 'proc.drained' } satisfies ProcessorEvent)),
    ),
  },
  actions: {
    failInFlight: ({ context }, params: { kind: 'unreachable' | 'shutdown' }) => context.ports.failInFlight(params.kind),
    endRun: ({ context }) => context.ports.endRun(),
    registerServices: ({ context }) => context.ports.registerServices(),
    unregisterServices: ({ context }) => context.ports.unregisterServices(),
    recordCrash: assign(({ context }, params: { crash: Crash }) => {
      const { crash } = params;
      const consecutive = context.consecutiveCrashes + 1;
      return {
        lastCrash: crash,
        consecutiveCrashes: consecutive,
        crashTimes: crashesInWindow(context.restart, context.crashTimes, crash.at),
        restartDelayMs: backoffDelay(context.restart, consecutive, crash.retryAfterMs),
      };
    }),
    resetBackoff: assign({ consecutiveCrashes: 0 }),
    markStopRequested: assign({ stopRequested: true }),
  },
  guards: {
    isStopRequested: ({ context }) => context.stopRequested,
    canRestart: ({ context }) =>
      context.lastCrash !== undefined &&
      context.lastCrash.recoverable &&
      context.crashTimes.length <= context.restart.maxRestarts,
  },
  delays: {
    restartBackoff: ({ context }) => context.restartDelayMs,
    drainGrace: ({ context }) => context.drainGraceMs,
    terminateTimeout: ({ context }) => context.terminateTimeoutMs,
    stableServing: ({ context }) => context.restart.resetAfterMs,
  },
}).createMachine({
  id: 'processor',
  context: ({ input }) => ({
    ...input,
    consecutiveCrashes: 0,
    crashTimes: [],
    lastCrash: undefined,
    restartDelayMs: 0,
    stopRequested: false,
  }),
  initial: 'created',
  states: {
    created: {
      description: 'Configured, not started yet.',
      on: {
        'proc.startRequested': 'active',
        'proc.stopRequested': { target: 'stopped', actions: 'markStopRequested' },
      },
    },
    active: {
      description: 'A run of the adaptor is live; a crash in any of these states ends the run in `crashed`.',
      initial: 'initializing',
      on: {
        'proc.crashed': {
          target: 'crashed',
          actions: { type: 'recordCrash', params: ({ event }) => ({ crash: event.crash }) },
        },
      },
      states: {
        initializing: {
          description: "The adaptor's init runs (bounded by initTimeoutMs); a failed init is a crash.",
          invoke: { id: 'init', src: 'initAdaptor', input: ({ context }) => context.ports, onDone: 'serving' },
          on: {
            'proc.stopRequested': { target: '#processor.terminating', actions: 'markStopRequested' },
          },
        },
        serving: {
          description:
            'The services are in the table; requests (and table changes, for an adaptor that asked) reach the adaptor through the mailbox actor.',
          entry: 'registerServices',
          exit: 'unregisterServices',
          invoke: { id: 'mailbox', src: 'mailbox', input: ({ context }) => context.ports },
          after: {
            stableServing: { actions: 'resetBackoff' },
          },
          on: {
            'proc.stopRequested': { target: 'draining', actions: 'markStopRequested' },
          },
        },
        draining: {
          description: 'The services left the table; in-flight requests finish within the grace period.',
          invoke: { id: 'drain', src: 'drain', input: ({ context }) => context.ports },
          after: {
            drainGrace: { target: '#processor.terminating' },
          },
          on: {
            'proc.drained': '#processor.terminating',
            // A stop was asked: a crash now ends the run without a restart.
            'proc.crashed': {
              target: '#processor.terminating',
              actions: [
                { type: 'recordCrash', params: ({ event }) => ({ crash: event.crash }) },
                { type: 'failInFlight', params: { kind: 'unreachable' } },
              ],
            },
          },
        },
      },
    },
    terminating: {
      description: "The run ends; the adaptor's terminate runs, bounded by a timeout.",
      entry: [{ type: 'failInFlight', params: { kind: 'shutdown' } }, 'endRun'],
      invoke: {
        id: 'terminate',
        src: 'terminateAdaptor',
        input: ({ context }) => context.ports,
        onDone: 'stopped',
        onError: 'stopped',
      },
      after: {
        terminateTimeout: { target: 'stopped' },
      },
    },
    crashed: {
      description: 'The services left the table, in-flight requests failed, the run ended; the adaptor cleans up.',
      entry: [{ type: 'failInFlight', params: { kind: 'unreachable' } }, 'endRun'],
      invoke: {
        id: 'terminate',
        src: 'terminateAdaptor',
        input: ({ context }) => context.ports,
        onDone: afterCleanup,
        onError: afterCleanup,
      },
      after: {
        terminateTimeout: afterCleanup,
      },
      on: {
        'proc.stopRequested': { actions: 'markStopRequested' },
      },
    },
    restarting: {
      description: 'Waiting out the backoff before the next init.',
      after: {
        restartBackoff: { target: 'active' },
      },
      on: {
        'proc.stopRequested': { target: 'stopped', actions: 'markStopRequested' },
      },
    },
    stopped: {
      description: 'Stopped cleanly.',
      type: 'final',
    },
    failed: {
      description: 'Crashed for good: a fatal error, or the restart budget is spent.',
      type: 'final',
    },
  },
});

/** The final states (`stopped`, `failed`), read from the machine itself. */
export const FINAL_PROCESSOR_STATES: ReadonlySet<ProcessorState> = new Set(
  Object.values(processorMachine.root.states)
    .filter((state) => state.type === 'final')
    .map((state) => state.key as ProcessorState),
);
