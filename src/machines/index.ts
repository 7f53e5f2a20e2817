export {
  processorMachine,
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
  type LinkState,
  type LinkEvent,
  type LinkPorts,
  type LinkMachineContext,
  type LinkMachineInput,
} from './link.machine.js';
export {
  peerMachine,
  type PeerState,
  type PeerEvent,
  type PeerPorts,
  type PeerMachineContext,
  type PeerMachineInput,
} from './peer.machine.js';
