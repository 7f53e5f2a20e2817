/**
 * The processor lifecycle, as DESIGN.md draws it:
 *
 * ```
 * created -> initializing -> registering -> serving -> draining -> terminating -> stopped
 * any active state --error--> crashed --(cleanup)--> restarting --(backoff)--> initializing
 *                                                 \-> failed (fatal, or budget spent)
 * ```
 *
 * The machine does no I/O itself: the running system hands it {@link ProcessorPorts}
 * through its input, and the machine's named actions and actors call those ports.
 * Per-request traffic never goes through this machine: in `serving` it invokes the
 * `mailbox` callback actor, which receives `prosa.request` events directly.
 * Invoked actors carry ids (`init`, `terminate`, `mailbox`), so their events read
 * `xstate.done.actor.init` in the inspector rather than a generated id.
 */
import { assign, fromCallback, fromPromise, setup, type AnyActorRef, type EventObject } from 'xstate';
import {
  backoffDelay,
  crashesInWindow,
  type RestartPolicy,
} from './restart-policy.js';

/** Lifecycle state names of a processor. */
export type ProcessorState =
  | 'created'
  | 'initializing'
  | 'registering'
  | 'serving'
  | 'draining'
  | 'terminating'
  | 'crashed'
  | 'restarting'
  | 'stopped'
  | 'failed';

/** The callback actor that receives `prosa.request` events while a processor serves. */
export interface Mailbox {
  /** The mailbox actor itself: requesters send to it. */
  self: AnyActorRef;
  /** Registers the one handler of the events the mailbox receives. */
  receive(listener: (event: EventObject) => void): void;
}

/** What the machine knows of a crash. */
export interface Crash {
  /**
   * The error as raised by the adaptor or the runtime, made safe to read and log by the
   * runtime's `toCrash` (the value itself when it is a well-formed error, else an Error
   * that describes it).
   */
  error: unknown;
  /** Whether a restart may follow (ProSA's `ProcError::recoverable`). */
  recoverable: boolean;
  /** Extra delay the error asked for before a restart (ProSA's `recovery_duration`). */
  retryAfterMs: number;
  /** When the crash happened, in milliseconds of the runtime's clock. */
  at: number;
}

/**
 * What the machine asks of the running system. Every method is synchronous and must
 * not throw; the promise-returning ones are run by invoked actors.
 */
export interface ProcessorPorts {
  /** Starts a new run of the adaptor (e.g. a fresh abort signal) and calls its `init`. */
  init(): Promise<void>;
  /** Calls the adaptor's `terminate`. Called after a stop and after a crash. */
  terminate(): Promise<void>;
  /** Asks Main to add this processor's services; Main answers `proc.registered`. */
  registerServices(): void;
  /** Asks Main to remove this processor's services. Safe when none are registered. */
  unregisterServices(): void;
  /**
   * Starts delivering requests to the adaptor through `mailbox`; returns the function
   * that stops accepting new ones. In-flight requests are not touched by it.
   */
  openIntake(mailbox: Mailbox): () => void;
  /** Sends `proc.drained` to the machine once no request is in flight (at once if none). */
  watchDrain(): void;
  /** Ends every in-flight request with an error of the given kind. */
  failInFlight(kind: 'unreachable' | 'shutdown'): void;
  /** Ends the current run of the adaptor (aborts its signal). */
  endRun(): void;
  /** Wraps any error raised in this processor into a {@link Crash}. */
  toCrash(error: unknown): Crash;
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
  /** Set once a shutdown is asked: no restart after that. */
  stopRequested: boolean;
  /** Version of the service table this processor last heard of. */
  tableVersion: number;
}

/** Events the processor machine handles. */
export type ProcessorEvent =
  | { type: 'proc.start' }
  | { type: 'proc.registered' }
  | { type: 'proc.crash'; crash: Crash }
  | { type: 'proc.drained' }
  | { type: 'prosa.service'; version: number }
  | { type: 'prosa.shutdown'; reason: string };

function crashOf(context: ProcessorMachineContext, event: { type: string; crash?: Crash; error?: unknown }): Crash {
  return event.type === 'proc.crash' && event.crash ? event.crash : context.ports.toCrash(event.error);
}

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
    mailbox: fromCallback<EventObject, ProcessorPorts>(({ input, self, receive }) => input.openIntake({ self, receive })),
  },
  actions: {
    registerServices: ({ context }) => context.ports.registerServices(),
    unregisterServices: ({ context }) => context.ports.unregisterServices(),
    watchDrain: ({ context }) => context.ports.watchDrain(),
    failInFlight: ({ context }, params: { kind: 'unreachable' | 'shutdown' }) =>
      context.ports.failInFlight(params.kind),
    endRun: ({ context }) => context.ports.endRun(),
    recordCrash: assign(({ context, event }) => {
      const crash = crashOf(context, event);
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
    adoptTableVersion: assign({
      tableVersion: ({ event }) => (event.type === 'prosa.service' ? event.version : 0),
    }),
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
    tableVersion: 0,
  }),
  initial: 'created',
  on: {
    'prosa.service': { actions: 'adoptTableVersion' },
  },
  states: {
    created: {
      description: 'Configured, not started yet.',
      on: {
        'proc.start': 'initializing',
        'prosa.shutdown': { target: 'stopped', actions: 'markStopRequested' },
      },
    },
    initializing: {
      description: "The adaptor's init runs.",
      invoke: {
        id: 'init',
        src: 'initAdaptor',
        input: ({ context }) => context.ports,
        onDone: 'registering',
        onError: { target: 'crashed', actions: 'recordCrash' },
      },
      on: {
        'proc.crash': { target: 'crashed', actions: 'recordCrash' },
        'prosa.shutdown': { target: 'terminating', actions: 'markStopRequested' },
      },
    },
    registering: {
      description: 'Main adds the services of this processor to the service table.',
      entry: 'registerServices',
      on: {
        'proc.registered': 'serving',
        'proc.crash': { target: 'crashed', actions: 'recordCrash' },
        'prosa.shutdown': { target: 'draining', actions: 'markStopRequested' },
      },
    },
    serving: {
      description: 'Requests flow to the adaptor through the mailbox actor.',
      invoke: { id: 'mailbox', src: 'mailbox', input: ({ context }) => context.ports },
      after: {
        stableServing: { actions: 'resetBackoff' },
      },
      on: {
        'proc.crash': { target: 'crashed', actions: 'recordCrash' },
        'prosa.shutdown': { target: 'draining', actions: 'markStopRequested' },
      },
    },
    draining: {
      description: 'Services left the table; in-flight requests finish within the grace period.',
      entry: ['unregisterServices', 'watchDrain'],
      after: {
        drainGrace: { target: 'terminating' },
      },
      on: {
        'proc.drained': 'terminating',
        'proc.crash': {
          target: 'terminating',
          actions: ['recordCrash', { type: 'failInFlight', params: { kind: 'unreachable' } }],
        },
      },
    },
    terminating: {
      description: "The adaptor's terminate runs, bounded by a timeout.",
      entry: [{ type: 'failInFlight', params: { kind: 'shutdown' } }, 'unregisterServices', 'endRun'],
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
      description: 'Services left the table, in-flight requests failed; the adaptor cleans up.',
      entry: ['unregisterServices', { type: 'failInFlight', params: { kind: 'unreachable' } }, 'endRun'],
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
        'prosa.shutdown': { actions: 'markStopRequested' },
      },
    },
    restarting: {
      description: 'Waiting out the backoff before the next init.',
      after: {
        restartBackoff: { target: 'initializing' },
      },
      on: {
        'prosa.shutdown': { target: 'stopped', actions: 'markStopRequested' },
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
