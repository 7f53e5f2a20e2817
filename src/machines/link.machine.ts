/**
 * The lifecycle of a transport's link to other instances (a NATS connection):
 *
 * ```
 * connecting --connected--> up <--link.down / link.up--> down
 * connecting --failed--> failed
 * up | down --link.ended--> failed (the client gave up reconnecting)
 * any --link.close--> closing --> closed (final)
 * ```
 *
 * `link.withdraw` (the bus begins to stop) is taken in any open state: the instance
 * stops serving other instances and tells them, but keeps its own requests' link until
 * `link.close`. The machine does no I/O itself: the transport hands it {@link LinkPorts}.
 * Per-request traffic never goes through this machine.
 */
import { assign, fromPromise, setup } from 'xstate';

/** Lifecycle state names of a link. */
export type LinkState = 'connecting' | 'up' | 'down' | 'failed' | 'closing' | 'closed';

/**
 * What the link machine asks of the transport. Every method is synchronous and must not
 * throw; the promise-returning ones are run by invoked actors.
 */
export interface LinkPorts {
  /** Opens the connection; resolves once it is up, rejects when the first connect fails. */
  connect(): Promise<void>;
  /** The link is up (first time or again): take requests for remote services, announce the local ones. */
  linkUp(): void;
  /** The link is down: refuse requests for remote services, end those in flight (`unreachable`). */
  linkDown(): void;
  /** Stops serving other instances and tells them at once. Called at most once. */
  withdraw(): void;
  /** Closes the connection (and ends what is left in flight). */
  close(): Promise<void>;
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
  /** Set once `link.withdraw` was taken: a reconnect does not announce services again. */
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

/** The link lifecycle machine. */
export const linkMachine = setup({
  types: {
    context: {} as LinkMachineContext,
    events: {} as LinkEvent,
    input: {} as LinkMachineInput,
  },
  actors: {
    connect: fromPromise<void, LinkPorts>(({ input }) => input.connect()),
    close: fromPromise<void, LinkPorts>(({ input }) => input.close()),
  },
  actions: {
    linkUp: ({ context }) => context.ports.linkUp(),
    linkDown: ({ context }) => context.ports.linkDown(),
    withdraw: ({ context }) => {
      if (!context.withdrawn) context.ports.withdraw();
    },
    markWithdrawn: assign({ withdrawn: true }),
    countDisconnect: assign({ disconnects: ({ context }) => context.disconnects + 1 }),
    recordError: assign({
      error: ({ event }) => ('error' in event ? event.error : undefined),
    }),
  },
}).createMachine({
  id: 'link',
  context: ({ input }) => ({ ...input, withdrawn: false, disconnects: 0, error: undefined }),
  initial: 'connecting',
  on: {
    'link.withdraw': { actions: ['withdraw', 'markWithdrawn'] },
  },
  states: {
    connecting: {
      description: 'The first connection is being made.',
      invoke: {
        src: 'connect',
        input: ({ context }) => context.ports,
        onDone: 'up',
        onError: { target: 'failed', actions: 'recordError' },
      },
      on: {
        'link.close': 'closing',
      },
    },
    up: {
      description: 'Connected: remote services take requests; local ones are announced.',
      entry: 'linkUp',
      on: {
        'link.down': { target: 'down', actions: 'countDisconnect' },
        'link.ended': { target: 'failed', actions: ['linkDown', 'recordError'] },
        'link.close': 'closing',
      },
    },
    down: {
      description: 'Disconnected, reconnecting: requests for remote services fail with unreachable.',
      entry: 'linkDown',
      on: {
        'link.up': 'up',
        'link.ended': { target: 'failed', actions: 'recordError' },
        'link.close': 'closing',
      },
    },
    failed: {
      description: 'The link could not connect, or gave up reconnecting; the instance is local only.',
      on: {
        'link.close': 'closing',
      },
    },
    closing: {
      description: 'What is in flight ends; the connection closes.',
      invoke: {
        src: 'close',
        input: ({ context }) => context.ports,
        onDone: 'closed',
        onError: 'closed',
      },
    },
    closed: {
      description: 'Closed for good.',
      type: 'final',
    },
  },
});
