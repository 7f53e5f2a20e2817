/**
 * The lifecycle machines of prosa: pure definitions (`setup(...).createMachine`), no I/O,
 * exported so tools can draw them.
 *
 * **Events** are named `domain.verb`, in one mood: each says what happened, in the past
 * tense and camelCase (`proc.crashed`, `proc.drained`, `proc.added`, `main.stopRequested`;
 * a request from outside is the fact that it was asked: `proc.startRequested`). The events
 * a processor's mailbox receives follow the same rule (`request.sent`, `table.changed`);
 * XState's own are `xstate.*`. (The processor, Main and directive machines follow it; the
 * link and peer machines are still to be brought to it.)
 *
 * **Ports live in context.** Each machine takes the running system's implementations
 * as one small `ports` object in its input, and its named actions and actors call them,
 * rather than receiving them through `machine.provide(...)`, which is XState's way:
 * `.provide()` builds a new machine for every actor, and measured here it costs about
 * 0.6 ms per actor (median 675 us for `provide()` + `createActor` + start + stop of the
 * processor machine, against 81 us without it; 7 rounds of 2,000), too much for one
 * machine per processor or directive instance. The inspector leaves `ports` out of the
 * contexts it shows. The directive machine needs none: it only decides, and *emits* what it
 * asks of its instance (XState runs emitted-event handlers after the transition, outside
 * every action), so its context is its input alone.
 */
export {
  processorMachine,
  processorState,
  PROCESSOR_STATES,
  FINAL_PROCESSOR_STATES,
  type ProcessorState,
  type ProcessorEvent,
  type ProcessorMachineContext,
  type ProcessorMachineInput,
  type ProcessorPorts,
  type Crash,
  type Mailbox,
} from './processor.machine.js';
export {
  mainMachine,
  mainState,
  type MainState,
  type MainEvent,
  type MainMachineContext,
  type MainMachineInput,
  type MainPorts,
} from './main.machine.js';
export {
  DEFAULT_RESTART_POLICY,
  restartPolicy,
  backoffDelay,
  type RestartPolicy,
} from './restart-policy.js';
export {
  directiveMachine,
  directiveState,
  type DirectiveState,
  type DirectiveStateValue,
  type DirectiveEvent,
  type DirectiveEmitted,
  type DirectiveMachineContext,
  type DirectiveMachineInput,
} from './directive.machine.js';
export {
  linkMachine,
  linkState,
  type LinkState,
  type LinkSnapshot,
  type LinkEvent,
  type LinkPorts,
  type LinkMachineContext,
  type LinkMachineInput,
} from './link.machine.js';
export {
  peerMachine,
  peerState,
  type PeerState,
  type PeerSnapshot,
  type PeerEvent,
  type PeerPorts,
  type PeerMachineContext,
  type PeerMachineInput,
} from './peer.machine.js';
