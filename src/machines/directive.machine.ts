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
 * instance keeps the values and sends the machine the counts it decides on
 * (`directive.values`, `directive.busy`, `directive.refs`). The machine does no I/O
 * itself; its actions call {@link DirectivePorts}.
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
  /** Most values the instance holds; `Infinity` when unbounded. */
  maxValues: number;
  /** Grace period between the last reference going and the disposal; 0 disposes at once. */
  disposeAfterMs: number;
  /** The running instance. */
  ports: DirectivePorts;
}

/** Context of the directive machine. */
export interface DirectiveMachineContext extends DirectiveMachineInput {
  /** References held now. */
  refs: number;
  /** Values held now. */
  values: number;
  /** Resolvers at work: started and neither idle, finished, held nor backing off. */
  busy: number;
}

/** Events the directive machine handles. */
export type DirectiveEvent =
  | { type: 'directive.attach' }
  | { type: 'directive.refs'; count: number }
  | { type: 'directive.values'; count: number }
  | { type: 'directive.busy'; count: number }
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

function countOf(event: DirectiveEvent): number {
  return 'count' in event ? event.count : 0;
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
    countRefs: assign({ refs: ({ event }) => countOf(event) }),
    countValues: assign({ values: ({ event }) => countOf(event) }),
    countBusy: assign({ busy: ({ event }) => countOf(event) }),
  },
  guards: {
    isUnreferenced: ({ event }) => countOf(event) === 0,
    isUnreferencedWithoutGrace: ({ context, event }) => countOf(event) === 0 && context.disposeAfterMs <= 0,
    isReferenced: ({ event }) => countOf(event) > 0,
    isFull: ({ context }) => context.values >= context.maxValues,
    isBelowLimit: ({ context }) => context.values < context.maxValues,
    isBusy: ({ context }) => context.busy > 0,
    isQuiet: ({ context }) => context.busy === 0,
  },
  delays: {
    disposeGrace: ({ context }) => context.disposeAfterMs,
  },
}).createMachine({
  id: 'directive',
  context: ({ input }) => ({ ...input, refs: 0, values: 0, busy: 0 }),
  initial: 'pending',
  on: {
    'directive.refs': { actions: 'countRefs' },
    'directive.values': { actions: 'countValues' },
    'directive.busy': { actions: 'countBusy' },
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
                'directive.refs': [
                  { guard: 'isUnreferencedWithoutGrace', target: '#directive.disposed', actions: 'countRefs' },
                  { guard: 'isUnreferenced', target: 'disposing', actions: 'countRefs' },
                  { actions: 'countRefs' },
                ],
              },
            },
            disposing: {
              description: 'No reference left: disposed once the grace period passes, unless a new reference comes.',
              after: {
                disposeGrace: { target: '#directive.disposed' },
              },
              on: {
                'directive.refs': [
                  { guard: 'isReferenced', target: 'referenced', actions: 'countRefs' },
                  { actions: 'countRefs' },
                ],
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
