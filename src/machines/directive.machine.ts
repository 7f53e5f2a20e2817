/**
 * The lifecycle of one directive instance (Controller Bus's directive instance):
 *
 * ```
 * pending --attached--> live --(last reference gone, grace period over)--> disposed
 * any state --closeRequested (the registry closes)--> disposed
 * live = references (referenced <-> disposing)
 *      ∥ activity   (starting --> resolving <-> idle)
 *      ∥ capacity   (below <-> full)
 * ```
 *
 * Three facts vary independently while an instance lives, so `live` has three regions:
 * whether anyone holds a reference (`referenced`, or `disposing` during the grace period
 * after the last one went); whether some resolver is at work (`resolving`) or every one
 * waits (`idle`: the instance is settled); and whether the instance holds its
 * `maxValues` values (`full`: its resolvers are held stopped) or fewer (`below`).
 *
 * The machine is told facts only when they flip, in the machines' mood (what happened,
 * in the past tense): the running instance (src/directives/instance.ts) keeps the
 * references, the values and the resolver runs, and sends `directive.referenced` /
 * `unreferenced`, `limitReached` / `limitLeft`, `becameBusy` / `becameQuiet` as its
 * counts cross a boundary. Joining a live instance or adding a value
 * below the limit costs no transition. Each fact is kept once: the counts by the
 * instance, the lifecycle by this machine's state value (its context holds only its
 * input); nothing here mirrors the other.
 *
 * The machine does no I/O. What it asks of the instance it **emits**
 * ({@link DirectiveEmitted}: `resolvers.startRequested`, ..., `directive.disposed`): XState runs emitted-event handlers once the transition is
 * over and the snapshot updated, outside every action, and queues the events those
 * handlers send back. So resolvers, subscribers and release hooks never run inside an
 * XState action, and the machine needs no ports in its context.
 */
import { emit, setup } from 'xstate';

/** Input of the directive machine. */
export interface DirectiveMachineInput {
  /** How logs and the inspector name the directive (`describeDirective`). */
  name: string;
  /** Grace period between the last reference going and the disposal; 0 disposes at once. */
  disposeAfterMs: number;
}

/** Context of the directive machine: its input, nothing more (the facts are its state value). */
export type DirectiveMachineContext = DirectiveMachineInput;

/** Events the directive machine handles: facts the instance tells it when they flip. */
export type DirectiveEvent =
  /** The bus asked its handlers; resolvers may start. */
  | { type: 'directive.attached' }
  /**
   * The resolvers attached at `directive.attached` were started; `busy` says whether some
   * is still at work. Sent by the handler of `resolvers.startRequested`.
   */
  | { type: 'directive.started'; busy: boolean }
  /** The first reference was taken (again). */
  | { type: 'directive.referenced' }
  /** The last reference was released. */
  | { type: 'directive.unreferenced' }
  /** The value count reached `maxValues`. */
  | { type: 'directive.limitReached' }
  /** The value count fell below `maxValues`. */
  | { type: 'directive.limitLeft' }
  /** A resolver is at work (none was). */
  | { type: 'directive.becameBusy' }
  /** No resolver is at work (one was). */
  | { type: 'directive.becameQuiet' }
  /** The registry closes: dispose now, whatever the references. */
  | { type: 'directive.closeRequested' };

/**
 * What the machine asks of its instance, as emitted events (`actor.on(type, handler)`).
 * Handlers run after the transition, in order; they must not throw.
 */
export type DirectiveEmitted =
  /** Start every attached resolver that has not started; then send `directive.started`. */
  | { type: 'resolvers.startRequested' }
  /** Stop every running resolver and hold it, keeping its values (the value limit was reached). */
  | { type: 'resolvers.holdRequested' }
  /** Start the resolvers held at the limit again (the count fell below it). */
  | { type: 'resolvers.resumeRequested' }
  /** Every resolver waits (`settled: true`), or one is at work again (`false`): tell the references. */
  | { type: 'directive.settledChanged'; settled: boolean }
  /** Stop every resolver, remove every value, end every reference, and forget the instance. */
  | { type: 'directive.disposed' };

/** User-facing lifecycle state of a directive instance, flattened from the machine's regions. */
export type DirectiveState = 'pending' | 'resolving' | 'idle' | 'full' | 'disposing' | 'disposed';

/** The machine's snapshot value, as {@link directiveState} reads it. */
export type DirectiveStateValue =
  | 'pending'
  | 'disposed'
  | {
      live: {
        references: 'referenced' | 'disposing';
        activity: 'starting' | 'resolving' | 'idle';
        capacity: 'below' | 'full';
      };
    };

/**
 * Flattens a snapshot value: `disposing` wins over `full`, which wins over the activity
 * (`starting` reads as `resolving`: the resolvers are being started).
 */
export function directiveState(value: DirectiveStateValue): DirectiveState {
  if (typeof value === 'string') return value;
  const { references, activity, capacity } = value.live;
  if (references === 'disposing') return 'disposing';
  if (capacity === 'full') return 'full';
  return activity === 'idle' ? 'idle' : 'resolving';
}

/** The directive instance lifecycle machine. */
export const directiveMachine = setup({
  types: {
    context: {} as DirectiveMachineContext,
    events: {} as DirectiveEvent,
    input: {} as DirectiveMachineInput,
    emitted: {} as DirectiveEmitted,
  },
  actions: {
    startResolvers: emit({ type: 'resolvers.startRequested' }),
    holdResolvers: emit({ type: 'resolvers.holdRequested' }),
    resumeResolvers: emit({ type: 'resolvers.resumeRequested' }),
    announceSettled: emit({ type: 'directive.settledChanged', settled: true }),
    announceUnsettled: emit({ type: 'directive.settledChanged', settled: false }),
    dispose: emit({ type: 'directive.disposed' }),
  },
  guards: {
    hasNoGrace: ({ context }) => context.disposeAfterMs <= 0,
    reportsBusy: (_, params: { busy: boolean }) => params.busy,
  },
  delays: {
    disposeGrace: ({ context }) => context.disposeAfterMs,
  },
}).createMachine({
  id: 'directive',
  context: ({ input }) => ({ name: input.name, disposeAfterMs: input.disposeAfterMs }),
  initial: 'pending',
  on: {
    'directive.closeRequested': '.disposed',
  },
  states: {
    pending: {
      description:
        'Created and validated; the bus is asking its handlers for resolvers, which wait. No fact can flip here: no resolver runs, so no value comes, and the registry holds the first reference until it attaches.',
      on: {
        'directive.attached': 'live',
      },
    },
    live: {
      description: 'Attached: resolvers run while the instance is below its value limit.',
      type: 'parallel',
      states: {
        references: {
          description: 'Whether anyone holds the instance.',
          initial: 'referenced',
          states: {
            referenced: {
              description: 'At least one reference holds the instance.',
              on: {
                'directive.unreferenced': [{ guard: 'hasNoGrace', target: '#directive.disposed' }, { target: 'disposing' }],
              },
            },
            disposing: {
              description: 'No reference left: disposed once the grace period passes, unless a new reference comes.',
              after: {
                disposeGrace: { target: '#directive.disposed' },
              },
              on: {
                'directive.referenced': 'referenced',
              },
            },
          },
        },
        activity: {
          description: 'Whether some resolver is at work.',
          initial: 'starting',
          states: {
            starting: {
              description: 'The attached resolvers are being started; the instance reports how that went.',
              entry: 'startResolvers',
              on: {
                'directive.started': [
                  { guard: { type: 'reportsBusy', params: ({ event }) => ({ busy: event.busy }) }, target: 'resolving' },
                  { target: 'idle' },
                ],
              },
            },
            resolving: {
              description: 'Some resolver is at work.',
              on: {
                'directive.becameQuiet': 'idle',
              },
            },
            idle: {
              description: 'Settled: every resolver ran once and waits, is done, held or backing off; values may still come.',
              entry: 'announceSettled',
              exit: 'announceUnsettled',
              on: {
                'directive.becameBusy': 'resolving',
              },
            },
          },
        },
        capacity: {
          description: 'Whether the instance holds its maxValues values.',
          initial: 'below',
          states: {
            below: {
              description: 'Fewer than maxValues values: resolvers run.',
              on: {
                'directive.limitReached': 'full',
              },
            },
            full: {
              description: 'The instance holds maxValues values; its resolvers are held stopped, their values kept.',
              entry: 'holdResolvers',
              on: {
                'directive.limitLeft': { target: 'below', actions: 'resumeResolvers' },
              },
            },
          },
        },
      },
    },
    disposed: {
      description: 'Resolvers stopped, values removed, references ended, the instance forgotten.',
      type: 'final',
      entry: 'dispose',
    },
  },
});
