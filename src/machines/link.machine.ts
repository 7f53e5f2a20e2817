/**
 * The lifecycle of a transport's link to other instances (a NATS connection):
 *
 * ```
 * open:  connecting --connected--> up <--link.down / link.up--> down
 *        connecting --connect failed--> failed
 *        up | down --link.ended--> failed (the client gave up reconnecting)
 *        any open state --link.withdraw (once)--> the same state, serving others no more
 * open --link.close--> closing: [flushing (from up only), at most flushTimeout] -> disconnecting
 *      -> closed (final)
 * ```
 *
 * `link.withdraw` (the bus begins to stop) is taken once, in any open state: the instance
 * stops serving other instances and tells them, but keeps its own requests' link until
 * `link.close`; `withdrawn` in the context is the one record of it (a reconnect does not
 * serve again). The machine does no I/O itself: the transport hands it {@link LinkPorts}.
 * Per-request traffic never goes through this machine.
 */
import { assign, fromPromise, setup, type SnapshotFrom } from 'xstate';

/** Lifecycle state names of a link, as {@link linkState} reads them from a snapshot. */
export type LinkState = 'connecting' | 'up' | 'down' | 'failed' | 'closing' | 'closed';

/** Longest wait, when the link closes while up, for its last messages (replies, `gone`) to leave. */
export const FLUSH_TIMEOUT_MS = 1_000;

/**
 * What the link machine asks of the transport. The synchronous methods must not throw;
 * the promise-returning ones are run by invoked actors (a rejection is taken as done).
 */
export interface LinkPorts {
  /**
   * Opens the connection; resolves once it is up, rejects when the first connect fails.
   * `signal` aborts when the link closes meanwhile: the connection is then closed at once.
   */
  connect(signal: AbortSignal): Promise<void>;
  /**
   * The link is up (`again`: after being down): take requests for remote services, serve
   * the local ones to other instances unless withdrawn (`serve`), say hello, beat.
   */
  linkUp(up: { again: boolean; serve: boolean }): void;
  /** The link is down: refuse requests for remote services, end those in flight (`unreachable`). */
  linkDown(): void;
  /** Stops serving other instances and tells them at once. Called at most once. */
  withdraw(): void;
  /** The link closes: stop beating, end what is in flight (`shutdown`), forget the peers, say gone. */
  end(): void;
  /** Resolves once the server has everything sent so far. */
  flush(): Promise<void>;
  /** Closes the connection. */
  disconnect(): Promise<void>;
}

/** Input of the link machine. */
export interface LinkMachineInput {
  /** Transport name, for the inspector. */
  name: string;
  /** The transport. */
  ports: LinkPorts;
}

/** Context of the link machine. */
export interface LinkMachineContext extends LinkMachineInput {
  /** Set once `link.withdraw` was taken: the instance serves other instances no more. */
  withdrawn: boolean;
  /** Times the link went down after it first came up. */
  disconnects: number;
  /** Why the link failed, when it did. */
  error: unknown;
}

/** Events the link machine handles. */
export type LinkEvent =
  | { type: 'link.down' }
  | { type: 'link.up' }
  | { type: 'link.ended'; error: unknown }
  | { type: 'link.withdraw' }
  | { type: 'link.close' };

/** The error an event carries (`link.ended`, or the failed connect's): the params of `recordError`. */
const errorOf = ({ event }: { event: { error: unknown } }) => ({ error: event.error });

/** The link lifecycle machine. */
export const linkMachine = setup({
  types: {
    context: {} as LinkMachineContext,
    events: {} as LinkEvent,
    input: {} as LinkMachineInput,
  },
  actors: {
    connect: fromPromise<void, LinkPorts>(({ input, signal }) => input.connect(signal)),
    flush: fromPromise<void, LinkPorts>(({ input }) => input.flush()),
    disconnect: fromPromise<void, LinkPorts>(({ input }) => input.disconnect()),
  },
  actions: {
    linkUp: ({ context }, params: { again: boolean; serve: boolean }) => context.ports.linkUp(params),
    linkDown: ({ context }) => context.ports.linkDown(),
    withdraw: ({ context }) => context.ports.withdraw(),
    markWithdrawn: assign({ withdrawn: true }),
    endLink: ({ context }) => context.ports.end(),
    countDisconnect: assign({ disconnects: ({ context }) => context.disconnects + 1 }),
    recordError: assign({ error: (_, params: { error: unknown }) => params.error }),
  },
  guards: {
    isServing: ({ context }) => !context.withdrawn,
  },
  delays: {
    flushTimeout: FLUSH_TIMEOUT_MS,
  },
}).createMachine({
  id: 'link',
  context: ({ input }) => ({ ...input, withdrawn: false, disconnects: 0, error: undefined }),
  initial: 'open',
  states: {
    open: {
      description: 'From the first connect until link.close: connecting, up, down or failed.',
      initial: 'connecting',
      on: {
        'link.withdraw': { guard: 'isServing', actions: ['withdraw', 'markWithdrawn'] },
        'link.close': 'closing',
      },
      states: {
        connecting: {
          description: 'The first connection is being made.',
          invoke: {
            id: 'connect',
            src: 'connect',
            input: ({ context }) => context.ports,
            onDone: 'up',
            onError: { target: 'failed', actions: { type: 'recordError', params: errorOf } },
          },
        },
        up: {
          description: 'Connected: remote services take requests; local ones are served and announced.',
          entry: {
            type: 'linkUp',
            params: ({ context }) => ({ again: context.disconnects > 0, serve: !context.withdrawn }),
          },
          on: {
            'link.down': { target: 'down', actions: 'countDisconnect' },
            'link.ended': {
              target: 'failed',
              actions: ['linkDown', { type: 'recordError', params: errorOf }],
            },
            'link.close': '#link.closing.flushing',
          },
        },
        down: {
          description: 'Disconnected, reconnecting: requests for remote services fail with unreachable.',
          entry: 'linkDown',
          on: {
            'link.up': 'up',
            'link.ended': { target: 'failed', actions: { type: 'recordError', params: errorOf } },
          },
        },
        failed: {
          description: 'The link could not connect, or gave up reconnecting; the instance is local only.',
        },
      },
    },
    closing: {
      description: 'What is in flight ends, the peers are forgotten, gone is said; the connection closes.',
      entry: 'endLink',
      initial: 'disconnecting',
      states: {
        flushing: {
          description: 'Closing while up: the last messages (replies, gone) leave first, for at most flushTimeout.',
          invoke: { id: 'flush', src: 'flush', input: ({ context }) => context.ports, onDone: 'disconnecting', onError: 'disconnecting' },
          after: { flushTimeout: 'disconnecting' },
        },
        disconnecting: {
          description: 'The connection closes.',
          invoke: {
            id: 'disconnect',
            src: 'disconnect',
            input: ({ context }) => context.ports,
            onDone: '#link.closed',
            onError: '#link.closed',
          },
        },
      },
    },
    closed: {
      description: 'Closed for good.',
      type: 'final',
    },
  },
});

/** A snapshot of a link machine. */
export type LinkSnapshot = SnapshotFrom<typeof linkMachine>;

/** The lifecycle state a link snapshot is in (`up`, `closing`, ...). */
export function linkState(snapshot: LinkSnapshot): LinkState {
  const value = snapshot.value;
  if (typeof value === 'string') return value;
  return 'open' in value ? value.open : 'closing';
}
