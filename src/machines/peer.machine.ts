/**
 * The lifecycle of another instance, as one instance sees it over a transport:
 *
 * ```
 * alive --peer.heartbeat--> alive (the missed-heartbeat timer starts again)
 * alive --peer.bye--> leaving --peer.gone--> gone (final)
 * alive --peer.gone--> gone (final)
 * alive | leaving --no heartbeat for peerTimeout--> lost (final)
 * ```
 *
 * Services a peer announces join the table while it is alive; they leave at once when
 * it says bye (a graceful stop) or is lost. Requests it took and has not answered end
 * in `unreachable` when it is lost or gone. The machine does no I/O itself: the
 * transport hands it {@link PeerPorts}. Heartbeats are one transition per peer and
 * interval; requests never go through this machine.
 */
import { setup } from 'xstate';

/** Lifecycle state names of a peer (the top-level ones). */
export type PeerState = 'alive' | 'leaving' | 'lost' | 'gone';

/** What the peer machine asks of the transport; synchronous, never throws. */
export interface PeerPorts {
  /** Removes every service of the peer from the table. Safe to call twice. */
  withdrawServices(instance: string): void;
  /** Ends the requests the peer took and has not answered, saying why. */
  endInFlight(instance: string, why: 'lost' | 'gone'): void;
}

/** Input of the peer machine. */
export interface PeerMachineInput {
  /** The peer's instance id. */
  instance: string;
  /** Time without a heartbeat after which the peer counts as lost (interval x missed heartbeats). */
  peerTimeoutMs: number;
  /** The transport. */
  ports: PeerPorts;
}

/** Context of the peer machine. */
export type PeerMachineContext = PeerMachineInput;

/** Events the peer machine handles. */
export type PeerEvent =
  | { type: 'peer.heartbeat' }
  | { type: 'peer.bye' }
  | { type: 'peer.gone' };

/** The peer lifecycle machine. */
export const peerMachine = setup({
  types: {
    context: {} as PeerMachineContext,
    events: {} as PeerEvent,
    input: {} as PeerMachineInput,
  },
  actions: {
    withdrawServices: ({ context }) => context.ports.withdrawServices(context.instance),
    endInFlight: ({ context }, params: { why: 'lost' | 'gone' }) => context.ports.endInFlight(context.instance, params.why),
  },
  delays: {
    peerTimeout: ({ context }) => context.peerTimeoutMs,
  },
}).createMachine({
  id: 'peer',
  context: ({ input }) => input,
  initial: 'alive',
  states: {
    alive: {
      description: 'Heartbeats arrive; its services are in the table.',
      after: {
        peerTimeout: 'lost',
      },
      on: {
        'peer.heartbeat': { target: 'alive', reenter: true },
        'peer.bye': 'leaving',
        'peer.gone': 'gone',
      },
    },
    leaving: {
      description: 'It stops gracefully: its services left the table; it answers what it took.',
      entry: 'withdrawServices',
      initial: 'answering',
      states: {
        answering: {
          description: 'Heartbeats still arrive while it drains.',
          after: {
            peerTimeout: '#peer.lost',
          },
          on: {
            'peer.heartbeat': { target: 'answering', reenter: true },
          },
        },
      },
      on: {
        'peer.gone': 'gone',
      },
    },
    lost: {
      description: 'Heartbeats stopped: its services left the table, its requests ended in unreachable.',
      type: 'final',
      entry: ['withdrawServices', { type: 'endInFlight', params: { why: 'lost' } }],
    },
    gone: {
      description: 'It closed its link: its services left the table, what it had not answered ended.',
      type: 'final',
      entry: ['withdrawServices', { type: 'endInFlight', params: { why: 'gone' } }],
    },
  },
});
