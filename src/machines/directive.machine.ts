/**
 * The lifecycle of one directive instance (Controller Bus's directive instance):
 *
 * ```
 * pending --attach--> live --last reference gone, grace period over--> disposed
 * any state --close (the registry closes)--> disposed
 * live = references (referenced <-> disposing)  in parallel with
 *        resolution (resolving <-> idle, either <-> full)
 * ```
 *
 * Two things vary independently while an instance lives, so `live` has two regions:
 * whether anyone still holds a reference (`referenced`, or `disposing` during the grace
 * period after the last one went), and how far resolution got (`resolving`: some
 * resolver is still at work; `idle`: every resolver ran once and waits; `full`: the
 * instance holds `maxValues` values and its resolvers are held stopped).
 *
 * Per-value traffic does not drive this machine transition by transition: the running
 * instance keeps the values, the resolvers and the references, and tells the machine
 * only when a fact flips (`directive.referenced` / `unreferenced`, `full` / `belowLimit`,
 * `busy` / `quiet`): joining a live instance or adding a value below the limit costs no
 * transition. The machine does no I/O itself; its actions call {@link DirectivePorts}.
 */
import { assign, setup } from 'xstate';

/** What the machine asks of the running instance; synchronous, never throws. */
export interface DirectivePorts {
  /** Starts every attached resolver that is not running (the instance just became live). */
  startResolvers(): void;
  /** Stops every running resolver and holds it, keeping its values (the value limit was reached). */
  holdResolvers(): void;
  /** Starts the resolvers held at the limit again (the count fell below it). */
  resumeResolvers(): void;
  /** Stops every resolver, removes every value, and forgets the instance. */
  dispose(): void;
}

/** Input of the directive machine. */
export interface DirectiveMachineInput {
  /** `kind` and key of the directive, for the inspector and logs. */
  name: string;
  /** Most values the instance holds; `Infinity` when unbounded (shown by the inspector; the instance tells `full`). */
  maxValues: number;
  /** Grace period between the last reference going and the disposal; 0 disposes at once. */
  disposeAfterMs: number;
  /** The running instance. */
  ports: DirectivePorts;
}

/** Context of the directive machine. */
export interface DirectiveMachineContext extends DirectiveMachineInput {
  /** At least one reference is held. */
  referenced: boolean;
  /** The instance holds `maxValues` values. */
  full: boolean;
  /** Some resolver is at work: started and neither idle, finished, held nor backing off. */
  busy: boolean;
}

/** Events the directive machine handles: facts the instance tells it when they flip. */
export type DirectiveEvent =
  /** The bus asked its handlers; resolvers may start. */
  | { type: 'directive.attach' }
  /** The first reference was taken (again). */
  | { type: 'directive.referenced' }
  /** The last reference was released. */
  | { type: 'directive.unreferenced' }
  /** The value count reached `maxValues`. */
  | { type: 'directive.full' }
  /** The value count fell below `maxValues`. */
  | { type: 'directive.belowLimit' }
  /** A resolver is at work. */
  | { type: 'directive.busy' }
  /** No resolver is at work. */
  | { type: 'directive.quiet' }
  /** The registry closes: dispose now, whatever the references. */
  | { type: 'directive.close' };

/** User-facing lifecycle state of a directive instance, flattened from the machine's regions. */
export type DirectiveState = 'pending' | 'resolving' | 'idle' | 'full' | 'disposing' | 'disposed';

/** The machine's snapshot value, as {@link directiveState} reads it. */
export type DirectiveStateValue =
  | 'pending'
  | 'disposed'
  | { live: { references: 'referenced' | 'disposing'; resolution: 'resolving' | 'idle' | 'full' } };

/** Flattens a snapshot value: `disposing` wins over the resolution region. */
export function directiveState(value: DirectiveStateValue): DirectiveState {
  if (typeof value === 'string') return value;
  return value.live.references === 'disposing' ? 'disposing' : value.live.resolution;
}

/** The directive instance lifecycle machine. */
export const directiveMachine = setup({
  types: {
    context: {} as DirectiveMachineContext,
    events: {} as DirectiveEvent,
    input: {} as DirectiveMachineInput,
  },
  actions: {
    startResolvers: ({ context }) => context.ports.startResolvers(),
    holdResolvers: ({ context }) => context.ports.holdResolvers(),
    resumeResolvers: ({ context }) => context.ports.resumeResolvers(),
    dispose: ({ context }) => context.ports.dispose(),
    markReferenced: assign({ referenced: true }),
    markUnreferenced: assign({ referenced: false }),
    markFull: assign({ full: true }),
    markBelowLimit: assign({ full: false }),
    markBusy: assign({ busy: true }),
    markQuiet: assign({ busy: false }),
  },
  guards: {
    hasNoGrace: ({ context }) => context.disposeAfterMs <= 0,
    isFull: ({ context }) => context.full,
    isBelowLimit: ({ context }) => !context.full,
    isBusy: ({ context }) => context.busy,
    isQuiet: ({ context }) => !context.busy,
  },
  delays: {
    disposeGrace: ({ context }) => context.disposeAfterMs,
  },
}).createMachine({
  id: 'directive',
  context: ({ input }) => ({ ...input, referenced: false, full: false, busy: false }),
  initial: 'pending',
  on: {
    'directive.referenced': { actions: 'markReferenced' },
    'directive.unreferenced': { actions: 'markUnreferenced' },
    'directive.full': { actions: 'markFull' },
    'directive.belowLimit': { actions: 'markBelowLimit' },
    'directive.busy': { actions: 'markBusy' },
    'directive.quiet': { actions: 'markQuiet' },
    'directive.close': '.disposed',
  },
  states: {
    pending: {
      description: 'Created and validated; the bus is asking its handlers for resolvers.',
      on: {
        'directive.attach': 'live',
      },
    },
    live: {
      description: 'Resolvers run while the instance is below its value limit.',
      type: 'parallel',
      entry: 'startResolvers',
      states: {
        references: {
          initial: 'referenced',
          states: {
            referenced: {
              description: 'At least one reference holds the instance.',
              on: {
                'directive.unreferenced': [
                  { guard: 'hasNoGrace', target: '#directive.disposed', actions: 'markUnreferenced' },
                  { target: 'disposing', actions: 'markUnreferenced' },
                ],
              },
            },
            disposing: {
              description: 'No reference left: disposed once the grace period passes, unless a new reference comes.',
              after: {
                disposeGrace: { target: '#directive.disposed' },
              },
              on: {
                'directive.referenced': { target: 'referenced', actions: 'markReferenced' },
              },
            },
          },
        },
        resolution: {
          initial: 'resolving',
          states: {
            resolving: {
              description: 'Some resolver is still at work.',
              always: [
                { guard: 'isFull', target: 'full' },
                { guard: 'isQuiet', target: 'idle' },
              ],
            },
            idle: {
              description: 'Every resolver ran once and waits (settled); values may still come.',
              always: [
                { guard: 'isFull', target: 'full' },
                { guard: 'isBusy', target: 'resolving' },
              ],
            },
            full: {
              description: 'The instance holds maxValues values; its resolvers are held stopped.',
              entry: 'holdResolvers',
              always: { guard: 'isBelowLimit', target: 'resolving', actions: 'resumeResolvers' },
            },
          },
        },
      },
    },
    disposed: {
      description: 'Resolvers stopped, values removed, the instance forgotten.',
      type: 'final',
      entry: 'dispose',
    },
  },
});
