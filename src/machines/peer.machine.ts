/**
 * The lifecycle of another instance, as one instance sees it over a transport:
 *
 * ```
 * heard:  alive --peer.bye--> leaving       (standing)
 *         expecting --peer.heartbeat--> expecting, its timer started again   (heartbeat)
 * heard --peer.gone--> gone (final)
 * heard --no heartbeat for peerTimeout--> lost (final)
 * ```
 *
 * While it is heard of, two things are followed at once: where it stands (alive, then
 * leaving once it says bye) and its heartbeats (each one starts the missed-heartbeat timer
 * again, whatever it stands at). Services a peer announces join the table while it is
 * alive; they leave at once when it says bye (a graceful stop), is lost or is gone.
 * Requests it took and has not answered end in `unreachable` when it is lost or gone.
 * The machine does no I/O itself: the transport hands it {@link PeerPorts}. Heartbeats
 * are one transition per peer and interval; requests never go through this machine.
 */
import { setup, type SnapshotFrom } from 'xstate';

/** Lifecycle state names of a peer, as {@link peerState} reads them from a snapshot. */
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
  initial: 'heard',
  states: {
    heard: {
      description: 'Heard of, and heard from within peerTimeout.',
      type: 'parallel',
      on: {
        'peer.gone': 'gone',
      },
      states: {
        standing: {
          description: 'Where it stands: serving, or stopping gracefully.',
          initial: 'alive',
          states: {
            alive: {
              description: 'Heartbeats arrive; its services are in the table.',
              on: {
                'peer.bye': 'leaving',
              },
            },
            leaving: {
              description: 'It stops gracefully: its services left the table; it answers what it took.',
              entry: 'withdrawServices',
            },
          },
        },
        heartbeat: {
          description: 'Its heartbeats: each one starts the missed-heartbeat timer again.',
          initial: 'expecting',
          states: {
            expecting: {
              description: 'The next heartbeat is due within peerTimeout.',
              after: {
                peerTimeout: '#peer.lost',
              },
              on: {
                'peer.heartbeat': { target: 'expecting', reenter: true },
              },
            },
          },
        },
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

/** A snapshot of a peer machine. */
export type PeerSnapshot = SnapshotFrom<typeof peerMachine>;

/** The lifecycle state a peer snapshot is in. */
export function peerState(snapshot: PeerSnapshot): PeerState {
  const value = snapshot.value;
  if (typeof value === 'string') return value;
  return value.heard.standing;
}
